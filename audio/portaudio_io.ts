/**
 * The real microphone and speaker: {@linkcode AudioSource} and {@linkcode AudioSink}
 * on PortAudio devices at 48 kHz mono 16-bit, one 20 ms frame per buffer. Streams ask
 * for each device's low default latency. The speaker starts with silence queued
 * (60 ms by default) and queues it again after an idle gap, because starting with less
 * underran audibly in measurements. When it runs dry while audio keeps coming (the
 * process was stalled longer than its ~15 ms device buffer), it reopens the device
 * with a larger buffer (40, 80, 100 ms): through ALSA's pulse plugin the buffer size is
 * the playback latency (a 300 ms buffer paced to a 30 ms queue still measured 60–96 ms
 * write to monitor, against 11–21 ms at the low latency), so it grows only for a
 * process that could not keep up, and shrinks back a step after 10 s without another
 * stall, during quiet audio (audio/speaker_buffer.ts). The microphone keeps one stream open and starts and
 * stops it per talk: opening is the slow part, while a stop drops whatever was
 * captured, so a new talk begins with fresh audio and no open/connect delay.
 *
 * @module
 */

import {
  type AudioSink,
  type AudioSource,
  FRAME_MS,
  FRAME_SAMPLES,
  SAMPLE_RATE,
} from "./audio_io.ts";
import { listDevices, pickDevice } from "./devices.ts";
import { PA_INPUT_OVERFLOWED, PA_OUTPUT_UNDERFLOWED, PortAudio } from "./portaudio_ffi.ts";
import { PaStream } from "./portaudio_stream.ts";
import { SpeakerBufferPolicy } from "./speaker_buffer.ts";
import { peakLevel } from "./vad.ts";

/**
 * Frames per host buffer (5 ms). Reads and writes still move whole 20 ms frames, but
 * PortAudio sizes the device's buffering from this: with 20 ms buffers it reports
 * 40 ms each way on ALSA's pulse bridge, and mouth to ear measured ~112 ms; with
 * 5 ms buffers ~83–95 ms, with no underruns in the voice tests.
 */
const HOST_BUFFER_FRAMES = 240;
/**
 * The speaker's host buffer (2.5 ms) and the latency asked of it (7.5 ms, or the
 * device's own low latency if that is less). On ALSA's pulse bridge the buffer comes
 * out at 10 ms instead of 15, and a frame then waits 8–9 ms in the device ahead of it
 * instead of 13–14 (bench/voice_latency.ts, "speaker cushion"). A process that stalls
 * longer than the buffer grows it (audio/speaker_buffer.ts), so only a listener that
 * keeps up plays this close. The microphone keeps 5 ms buffers: a capture buffer that
 * small would drop audio whenever the process is late to read.
 */
const SPEAKER_HOST_BUFFER_FRAMES = 120;
const SPEAKER_LOW_LATENCY_S = 0.0075;
/** Largest speaker buffer that stalls may grow it to, in seconds. */
const MAX_OUTPUT_LATENCY_S = 0.1;
/** A frame below this peak is quiet enough to drop when the buffer shrinks. */
const QUIET_PEAK = 600;
/** A writer silent this long paused on purpose: running dry then is no stall. */
const PAUSE_MS = 1000;

/** Options for opening a PortAudio device. */
export interface PortAudioOptions {
  /** Device index or (part of) its name; default: the system default device. */
  device?: string | number;
  /** Suggested latency in seconds; default: the device's low latency. */
  latency?: number;
  /** The PortAudio instance to use; default: the shared one. */
  portAudio?: PortAudio;
}

/** Options for the speaker. */
export interface PortAudioSinkOptions extends PortAudioOptions {
  /** Silent frames queued at start and after an idle gap (default 3 = 60 ms). */
  prefillFrames?: number;
}

/** Latency figures of an open device, in milliseconds. */
export interface DeviceLatency {
  /** What PortAudio reports for the stream. */
  reportedMs: number;
  /** Extra silence queued ahead of real audio (speaker only). */
  prefillMs: number;
}

/** A PortAudio capture device as an {@linkcode AudioSource}. */
export class PortAudioSource implements AudioSource {
  /** Device name. */
  readonly name: string;
  /** Reads that PortAudio flagged as overflowed (input lost because we read late). */
  overflows = 0;
  /** Milliseconds from `start()` to the first frame of the latest talk (NaN before). */
  firstFrameMs = NaN;
  #stream: PaStream;
  #running = false;
  #startedAt = 0;
  #pending: Promise<unknown> = Promise.resolve();

  /** Opens the device (stopped); call `start()` to capture. */
  constructor(options: PortAudioOptions = {}) {
    const pa = options.portAudio ?? PortAudio.load();
    const dev = pickDevice(options.device, "input", listDevices(pa));
    this.name = dev.name;
    this.#stream = PaStream.open(
      pa,
      { device: dev.index, channels: 1, suggestedLatency: options.latency ?? dev.lowInputLatency },
      null,
      SAMPLE_RATE,
      HOST_BUFFER_FRAMES,
    );
  }

  /** Latency PortAudio reports for this input. */
  latency(): DeviceLatency {
    return { reportedMs: this.#stream.info().inputLatency * 1000, prefillMs: 0 };
  }

  /** Starts capture; audio from before this call is never returned. */
  async start(): Promise<void> {
    await this.#pending;
    if (this.#running) return;
    this.#stream.start();
    this.#running = true;
    this.#startedAt = performance.now();
    this.firstFrameMs = NaN;
  }

  /** Returns the next 20 ms frame (a new array each time). */
  read(): Promise<Int16Array> {
    const next = this.#pending.then(async () => {
      if (!this.#running) {
        throw new Error(`Microphone "${this.name}" is stopped: call start() before read().`);
      }
      // A fresh buffer per read: the worker thread owns it until the promise resolves.
      const frame = new Int16Array(FRAME_SAMPLES);
      if (await this.#stream.read(frame) === PA_INPUT_OVERFLOWED) this.overflows++;
      if (Number.isNaN(this.firstFrameMs)) this.firstFrameMs = performance.now() - this.#startedAt;
      return frame;
    });
    this.#pending = next.catch(() => {});
    return next;
  }

  /** Stops capture and drops what the device still holds. */
  async stop(): Promise<void> {
    await this.#pending;
    if (!this.#running) return;
    this.#running = false;
    this.#stream.stop();
  }

  /** Stops and releases the device. */
  async close(): Promise<void> {
    await this.stop();
    this.#stream.close();
  }
}

/** A PortAudio playback device as an {@linkcode AudioSink}. */
export class PortAudioSink implements AudioSink {
  /** Device name. */
  readonly name: string;
  /** Writes that PortAudio flagged as underflowed (the device ran dry before them). */
  underflows = 0;
  /** Silent frames queued ahead of real audio at start and after idle gaps. */
  readonly prefillFrames: number;
  /** Times the device ran dry while audio kept coming (each may grow its buffer). */
  stalls = 0;
  /** Times a grown buffer shrank back after a calm period. */
  shrinks = 0;
  /** Audio queued ahead of the latest frame when it was written, in ms. */
  queuedMs = NaN;
  /** A short frame is written as it is: the device then asks for the next one sooner. */
  readonly shortFrames = true;
  readonly #pa: PortAudio;
  readonly #device: number;
  readonly #size: SpeakerBufferPolicy;
  #stream: PaStream;
  #pending: Promise<unknown> = Promise.resolve();
  #lastWriteEnd = -Infinity;
  #closed = false;
  /** Free room in the output buffer when it is empty, in frames. */
  #capacity: number;

  /** Opens and starts the device. */
  constructor(options: PortAudioSinkOptions = {}) {
    const pa = options.portAudio ?? PortAudio.load();
    const dev = pickDevice(options.device, "output", listDevices(pa));
    this.name = dev.name;
    this.prefillFrames = Math.max(0, Math.floor(options.prefillFrames ?? 3));
    this.#pa = pa;
    this.#device = dev.index;
    this.#size = new SpeakerBufferPolicy({
      lowS: options.latency ?? Math.min(dev.lowOutputLatency, SPEAKER_LOW_LATENCY_S),
      maxS: MAX_OUTPUT_LATENCY_S,
    });
    this.#stream = this.#open();
    this.#capacity = this.#stream.writeAvailable();
  }

  #open(): PaStream {
    const stream = PaStream.open(
      this.#pa,
      null,
      { device: this.#device, channels: 1, suggestedLatency: this.#size.sizeS },
      SAMPLE_RATE,
      SPEAKER_HOST_BUFFER_FRAMES,
    );
    stream.start();
    return stream;
  }

  /**
   * After the device ran dry under a writer that kept writing: reopen it with twice
   * the buffer (what was queued is gone already), so the next stall as long is ridden
   * out. Capped, and never done for a writer that paused on purpose.
   */
  #growAfterStall(idleMs: number, quiet: boolean): void {
    if (idleMs > PAUSE_MS || !Number.isFinite(idleMs)) return;
    // Just after an underrun the stream may report an error: it is dry.
    if (this.#queuedFrames() > 0) return;
    this.stalls++;
    if (this.#size.stalled(performance.now(), quiet) !== null) this.#reopen();
  }

  /**
   * Reopens the device at the policy's size; what it held is dropped. A sound server
   * too busy to answer in time fails the open: try once more before giving up.
   */
  #reopen(): void {
    this.#stream.stop();
    this.#stream.close();
    try {
      this.#stream = this.#open();
    } catch {
      this.#stream = this.#open();
    }
    this.#capacity = this.#stream.writeAvailable();
  }

  /** Size of the device's output buffer in ms (grows after stalls). */
  get bufferMs(): number {
    return this.#capacity * 1000 / SAMPLE_RATE;
  }

  /** Samples queued in the device, 0 when it cannot say (just after an underrun). */
  #queuedFrames(): number {
    try {
      return this.#capacity - this.#stream.writeAvailable();
    } catch {
      return 0;
    }
  }

  /** Latency PortAudio reports for this output, plus the prefill. */
  latency(): DeviceLatency {
    return {
      reportedMs: this.#stream.info().outputLatency * 1000,
      prefillMs: this.prefillFrames * FRAME_MS,
    };
  }

  /**
   * Queues one frame (copied, so the caller may reuse its array at once) and resolves
   * when the device can take the next. After the sink has been idle long enough to run
   * dry, silence is queued first so the new audio starts with a cushion.
   */
  write(frame: Int16Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`Speaker "${this.name}" is closed.`));
    const copy = new Int16Array(frame);
    const next = this.#pending.then(async () => {
      const idleMs = performance.now() - this.#lastWriteEnd;
      const quiet = peakLevel(copy) < QUIET_PEAK;
      this.#growAfterStall(idleMs, quiet);
      // After a calm while a grown buffer shrinks, between words: the device then
      // starts again from the prefill, like after an idle gap.
      let refill = idleMs > (this.prefillFrames + 1) * FRAME_MS;
      if (this.#size.wrote(performance.now(), quiet) !== null) {
        this.#reopen();
        this.shrinks++;
        refill = true;
      }
      if (refill) {
        const silence = new Int16Array(FRAME_SAMPLES);
        for (let i = 0; i < this.prefillFrames; i++) await this.#stream.write(silence);
      }
      this.queuedMs = this.#queuedFrames() * 1000 / SAMPLE_RATE;
      if (await this.#stream.write(copy) === PA_OUTPUT_UNDERFLOWED) this.underflows++;
      // A writer paced only by a blocking write keeps the whole host buffer full: with a
      // large `latency` option, wait instead until no more than the prefill plus this
      // frame is queued. A buffer grown after stalls is meant to be kept full.
      const queued = this.#capacity - this.#stream.writeAvailable();
      const keep = this.#size.grown ? this.#capacity : (this.prefillFrames + 1) * FRAME_SAMPLES;
      const excess = queued - keep;
      if (excess > 0) await new Promise((r) => setTimeout(r, (excess * 1000) / SAMPLE_RATE));
      this.#lastWriteEnd = performance.now();
    });
    this.#pending = next.catch(() => {});
    return next;
  }

  /** Plays out what is queued, then releases the device. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pending;
    // Pa_StopStream through ALSA's pulse plugin drops the last ~60 ms still queued
    // (measured): push the real audio out with silence as long as the queue first.
    const silence = new Int16Array(FRAME_SAMPLES);
    const queued = this.#stream.info().outputLatency * 1000 + FRAME_MS;
    for (let ms = 0; ms < queued; ms += FRAME_MS) await this.#stream.write(silence);
    this.#stream.stop();
    this.#stream.close();
  }
}
