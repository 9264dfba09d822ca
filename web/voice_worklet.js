// The browser client's audio thread (an AudioWorklet module, served as is):
// "am-capture" turns the microphone into 20 ms frames of 48 kHz 16-bit mono
// for the page's voice code, and "am-playout" plays the 20 ms frames the page
// hands it, reporting each one played so the page paces itself by the sound
// card's clock. Everything else (silence detection, Opus, the jitter buffer,
// fades, mixing, sealing) runs in the page, in the same modules as the
// terminal client. The AudioContext runs at 48 kHz, so no resampling here.

const FRAME_SAMPLES = 960;

/**
 * Microphone → Int16 frames of 960 samples, posted to the page at the sound
 * card's clock, as a device delivers them. A render quantum in which the
 * microphone's stream carries no audio (Firefox hands such an input as no
 * channels at all: a muted or not yet started track) counts as silence, and a
 * frame with any such quantum is posted as `{ empty: frame }`, so the page
 * can tell "no sound" from "quiet" and its talk loop never waits on a stream
 * that sends nothing.
 */
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.empty = false;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    // A quantum is 128 samples; a frame (960) is 7.5 of them, so frames may end mid-quantum.
    const length = channel?.length ?? 128;
    if (!channel) this.empty = true;
    for (let i = 0; i < length; i++) {
      const s = channel ? Math.max(-1, Math.min(1, channel[i])) : 0;
      this.frame[this.filled++] = s < 0 ? Math.round(s * 32768) : Math.round(s * 32767);
      if (this.filled === FRAME_SAMPLES) {
        if (this.empty) this.port.postMessage({ empty: this.frame }, [this.frame.buffer]);
        else this.port.postMessage(this.frame, [this.frame.buffer]);
        this.frame = new Int16Array(FRAME_SAMPLES);
        this.filled = 0;
        this.empty = !channel;
      }
    }
    return true;
  }
}

/** Int16 frames from the page → the speakers; one "played" message per frame. */
class PlayoutProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.offset = 0;
    this.underruns = 0;
    // Test hook (off unless a test turns it on; changes nothing that is heard):
    // a copy of every sample sent to the speakers, silence included.
    this.recording = null;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m instanceof Int16Array) this.queue.push(m);
      else if (m.record === true) this.recording = [];
      else if (m.record === false) {
        this.port.postMessage({ recording: this.recording ?? [] });
        this.recording = null;
      }
    };
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let i = 0;
    while (i < out.length) {
      const frame = this.queue[0];
      if (!frame) {
        // Nothing from the page in time: silence, counted.
        out.fill(0, i);
        this.underruns++;
        break;
      }
      const n = Math.min(out.length - i, frame.length - this.offset);
      for (let k = 0; k < n; k++) out[i + k] = frame[this.offset + k] / 32768;
      i += n;
      this.offset += n;
      if (this.offset === frame.length) {
        this.queue.shift();
        this.offset = 0;
        this.port.postMessage({ played: 1, underruns: this.underruns });
      }
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.recording?.push(out.slice());
    return true;
  }
}

registerProcessor("am-capture", CaptureProcessor);
registerProcessor("am-playout", PlayoutProcessor);
