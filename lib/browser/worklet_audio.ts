/// <reference lib="dom" />
/**
 * The page's microphone and speaker in the shapes the terminal's voice code
 * takes ({@linkcode AudioSource} and {@linkcode AudioSink} of audio/audio_io.ts),
 * over an AudioContext at 48 kHz and the AudioWorklet processors of
 * web/voice_worklet.js. With these, the page runs the terminal client's own
 * {@linkcode VoiceController} and {@linkcode VoicePlayout} unchanged: the same
 * silence detection, Opus, jitter buffer, fades and mixing.
 *
 * @module
 */

import {
  type AudioSink,
  type AudioSource,
  FRAME_SAMPLES,
  SAMPLE_RATE,
} from "../../audio/audio_io.ts";
import { loadOpusWasm } from "../../audio/opus_codec.ts";

/** Frames handed to the playout worklet ahead of the one playing (20 ms each). */
const PLAYOUT_AHEAD = 2;
/** A started capture whose first frame takes longer than this (ms) is opened again. */
const FIRST_FRAME_MS = 2000;
/** Opens of the microphone in one start before it is reported as failed. */
const START_ATTEMPTS = 2;

/** The page's audio: one context, its worklet module and the Opus codec loaded. */
export class PageAudio {
  /** The context everything runs in (48 kHz). */
  readonly context: AudioContext;

  private constructor(context: AudioContext) {
    this.context = context;
  }

  /**
   * Makes the context and loads the worklets and opusscript's wasm (served by
   * the relay next to the page). Call from a user action (a click), or the
   * browser keeps the context suspended.
   */
  static async open(): Promise<PageAudio> {
    const context = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: "interactive" });
    const [wasm] = await Promise.all([
      fetch("opus.wasm").then((r) => {
        if (!r.ok) throw new Error(`opus.wasm: HTTP ${r.status}`);
        return r.arrayBuffer();
      }),
      context.audioWorklet.addModule("voice_worklet.js"),
    ]);
    loadOpusWasm(new Uint8Array(wasm));
    // Resolves once the context runs; a suspended one (no user action yet) starts later.
    void context.resume();
    return new PageAudio(context);
  }

  /** Closes the context and everything in it. */
  close(): Promise<void> {
    return this.context.close();
  }
}

/**
 * The microphone: `getUserMedia` on each {@linkcode start} (so the browser's
 * recording indicator is on only while talking), frames from the capture
 * worklet.
 */
export class WorkletSource implements AudioSource {
  /** Human-readable name. */
  readonly name = "browser microphone";
  readonly #audio: PageAudio;
  readonly #frames: Int16Array[] = [];
  #waiting: ((frame: Int16Array) => void) | null = null;
  #stream: MediaStream | null = null;
  #input: MediaStreamAudioSourceNode | null = null;
  #node: AudioWorkletNode | null = null;
  /** The stream has carried sound since this start. */
  #live = false;
  /** Before that, the worklet found no audio in the stream. */
  #noInput = false;

  /** A microphone in `audio`'s context. */
  constructor(audio: PageAudio) {
    this.#audio = audio;
  }

  /**
   * Asks for the microphone (the first time, the browser asks the user) and
   * captures; resolves once the first frame is in. A capture that yields no
   * frame within {@linkcode FIRST_FRAME_MS} is opened once more, and then
   * refused with an error that says what the browser reported.
   */
  async start(): Promise<void> {
    for (let attempt = 1;; attempt++) {
      await this.#open();
      const missing = await this.#firstFrame();
      if (!missing) return;
      await this.stop();
      if (attempt === START_ATTEMPTS) {
        throw new Error(
          `the browser's microphone sent no sound (${missing}); press Talk to try again`,
        );
      }
    }
  }

  async #open(): Promise<void> {
    const ctx = this.#audio.context;
    this.#frames.length = 0;
    this.#noInput = this.#live = false;
    // As the terminal client, the page sends the microphone as it is. Chromium's echo
    // canceller alone cut the correlation of a speech file with what a terminal heard
    // from 0.94 to 0.73 (tests/browser/voice_e2e_test.ts); in a half-duplex room (the
    // default) nobody else plays while one talks, so there is no echo to cancel.
    this.#stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        channelCount: 1,
        echoCancellation: false,
        noiseSuppression: false,
        autoGainControl: false,
      },
    });
    // Not awaited: a context the browser keeps suspended never settles this, and the
    // first-frame wait below reports that instead of hanging here.
    void ctx.resume();
    this.#input = ctx.createMediaStreamSource(this.#stream);
    this.#node = new AudioWorkletNode(ctx, "am-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      channelCount: 1,
      channelCountMode: "explicit",
    });
    this.#node.port.onmessage = (e: MessageEvent<Int16Array | { empty: Int16Array }>) => {
      const live = e.data instanceof Int16Array;
      const frame = e.data instanceof Int16Array ? e.data : e.data.empty;
      if (live) this.#live = true;
      else if (!this.#live) return void (this.#noInput = true); // before the first sound
      const waiting = this.#waiting;
      this.#waiting = null;
      if (waiting) waiting(frame);
      else this.#frames.push(frame);
    };
    this.#input.connect(this.#node);
    // Connected (it outputs silence) so the browser keeps pulling it.
    this.#node.connect(ctx.destination);
  }

  /**
   * Waits for the first frame of sound; returns what was wrong when none came
   * in time, else "". (Frames of a stream still without audio are not kept.)
   */
  async #firstFrame(): Promise<string> {
    if (this.#frames.length > 0) return "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const first = await Promise.race([
      new Promise<Int16Array>((resolve) => this.#waiting = resolve),
      new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), FIRST_FRAME_MS)),
    ]);
    clearTimeout(timer);
    if (first) {
      this.#frames.unshift(first);
      return "";
    }
    this.#waiting = null;
    const state = this.#audio.context.state;
    const tracks = this.#stream?.getAudioTracks() ?? [];
    if (state !== "running") return `the page's audio is ${state}`;
    if (!tracks.some((t) => t.readyState === "live")) return "the microphone's track ended";
    if (this.#noInput) return "its stream carries no audio";
    // Neither silence nor sound: the page's audio clock does not run.
    return `no frame in ${FIRST_FRAME_MS / 1000} s`;
  }

  /** The next 20 ms frame, as soon as the worklet has it. */
  read(): Promise<Int16Array> {
    const frame = this.#frames.shift();
    if (frame) return Promise.resolve(frame);
    if (!this.#node) return Promise.resolve(new Int16Array(FRAME_SAMPLES));
    return new Promise((resolve) => this.#waiting = resolve);
  }

  /** Stops capturing and releases the microphone. */
  stop(): Promise<void> {
    this.#input?.disconnect();
    this.#node?.disconnect();
    if (this.#node) this.#node.port.onmessage = null;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = this.#input = this.#node = null;
    // A read still waiting ends with silence, as a file past its end does.
    this.#waiting?.(new Int16Array(FRAME_SAMPLES));
    this.#waiting = null;
    return Promise.resolve();
  }

  /** Same as {@linkcode stop}. */
  close(): Promise<void> {
    return this.stop();
  }
}

/**
 * The speakers: frames go to the playout worklet, and a write resolves once
 * no more than {@linkcode PLAYOUT_AHEAD} frames wait there, so the sound
 * card's clock paces the playout loop as a device does for the terminal.
 */
export class WorkletSink implements AudioSink {
  /** Human-readable name. */
  readonly name = "browser speakers";
  readonly #node: AudioWorkletNode;
  #queued = 0;
  #wake: (() => void) | null = null;
  #closed = false;
  #recorded: ((samples: Float32Array[]) => void) | null = null;
  /** Times the worklet had nothing to play in time (played silence). */
  underruns = 0;

  /** Speakers in `audio`'s context. */
  constructor(audio: PageAudio) {
    const ctx = audio.context;
    this.#node = new AudioWorkletNode(ctx, "am-playout", {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    this.#node.port.onmessage = (e) => {
      const m = e.data;
      if (m.played) {
        this.#queued -= m.played;
        this.underruns = m.underruns;
        this.#wake?.();
        this.#wake = null;
      } else if (m.recording) this.#recorded?.(m.recording);
    };
    this.#node.connect(ctx.destination);
  }

  /** Queues one frame; resolves when the worklet can take the next. */
  async write(frame: Int16Array): Promise<void> {
    const copy = frame.slice();
    this.#node.port.postMessage(copy, [copy.buffer]);
    this.#queued++;
    while (this.#queued > PLAYOUT_AHEAD && !this.#closed) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /**
   * Test hook, used by tests only and changing nothing that is heard: starts
   * keeping a copy of every sample the worklet sends to the speakers.
   */
  startRecording(): void {
    this.#node.port.postMessage({ record: true });
  }

  /** Test hook: stops keeping samples and returns those kept, as 16-bit values. */
  stopRecording(): Promise<Int16Array> {
    return new Promise((resolve) => {
      this.#recorded = (blocks) => {
        this.#recorded = null;
        const out = new Int16Array(blocks.reduce((n, b) => n + b.length, 0));
        let at = 0;
        for (const b of blocks) {
          // The inverse of the worklet's scaling (sample / 32768).
          for (let i = 0; i < b.length; i++) {
            out[at++] = Math.max(-32768, Math.min(32767, Math.round(b[i] * 32768)));
          }
        }
        resolve(out);
      };
      this.#node.port.postMessage({ record: false });
    });
  }

  /** Stops playing. */
  close(): Promise<void> {
    this.#closed = true;
    this.#node.disconnect();
    this.#wake?.();
    return Promise.resolve();
  }
}
