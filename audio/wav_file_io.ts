/**
 * WAV files standing in for the sound card: `--mic speech.wav` and
 * `--speaker out.wav`. Both keep real time by the wall clock, because the voice
 * loops rely on the device to pace them: the source hands out frame k no earlier
 * than k × 20 ms after start, and the sink lets the next write through only when its
 * frame is due. The sink records one continuous timeline from its creation, filling
 * stretches nobody wrote (idle playout, a stalled event loop) with silence, so a
 * recording can be compared against wall-clock events.
 *
 * @module
 */

import { type AudioSink, type AudioSource, FRAME_MS, FRAME_SAMPLES } from "./audio_io.ts";
import { readWav, WavFileWriter } from "./wav.ts";

/** Clock and timer the pacing uses; replaceable for tests. */
export interface Pacer {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** Real time: `performance.now` and `setTimeout`. */
export const wallClock: Pacer = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** A WAV file played as a microphone, in real time, then silence. */
export class WavFileSource implements AudioSource {
  /** The file path. */
  readonly name: string;
  /** The whole file as 48 kHz mono. */
  readonly samples: Int16Array;
  readonly #pacer: Pacer;
  #startMs: number | undefined;
  #frame = 0;

  /** Wraps already converted samples; see {@linkcode WavFileSource.open}. */
  constructor(name: string, samples: Int16Array, pacer: Pacer = wallClock) {
    this.name = name;
    this.samples = samples;
    this.#pacer = pacer;
  }

  /** Loads and converts a WAV file (any rate, channels, PCM or float). */
  static async open(path: string, pacer: Pacer = wallClock): Promise<WavFileSource> {
    const bytes = await Deno.readFile(path);
    return new WavFileSource(path, readWav(bytes).samples, pacer);
  }

  /** Frames the file fills (the last one padded with silence). */
  get frameCount(): number {
    return Math.ceil(this.samples.length / FRAME_SAMPLES);
  }

  /** Whether every frame of the file has been read since the last start. */
  get finished(): boolean {
    return this.#frame >= this.frameCount;
  }

  /** Restarts playback from the first sample, now. */
  start(): Promise<void> {
    this.#startMs = this.#pacer.now();
    this.#frame = 0;
    return Promise.resolve();
  }

  /** Waits until the next frame is due, then returns it (silence past the end). */
  async read(): Promise<Int16Array> {
    if (this.#startMs === undefined) throw new Error(`${this.name}: read() before start()`);
    const k = this.#frame++;
    const wait = this.#startMs + k * FRAME_MS - this.#pacer.now();
    if (wait > 0) await this.#pacer.sleep(wait);
    const frame = new Int16Array(FRAME_SAMPLES);
    const from = k * FRAME_SAMPLES;
    if (from < this.samples.length) frame.set(this.samples.subarray(from, from + FRAME_SAMPLES));
    return frame;
  }

  /** Stops; the next `start` plays from the beginning again. */
  stop(): Promise<void> {
    this.#startMs = undefined;
    return Promise.resolve();
  }

  /** Nothing to release: the file was read whole. */
  close(): Promise<void> {
    return this.stop();
  }
}

/** A speaker that records to a WAV file on a wall-clock timeline. */
export class WavFileSink implements AudioSink {
  /** The file path. */
  readonly name: string;
  readonly #writer: WavFileWriter;
  readonly #pacer: Pacer;
  readonly #originMs: number;
  #frames = 0;
  #closed = false;

  private constructor(writer: WavFileWriter, pacer: Pacer) {
    this.name = writer.path;
    this.#writer = writer;
    this.#pacer = pacer;
    this.#originMs = pacer.now();
  }

  /** Creates the file; its timeline starts now. */
  static async create(path: string, pacer: Pacer = wallClock): Promise<WavFileSink> {
    return new WavFileSink(await WavFileWriter.create(path), pacer);
  }

  /** Frames in the file so far, silence included. */
  get framesWritten(): number {
    return this.#frames;
  }

  /**
   * Appends `frame` at the current wall-clock position (after silence for any time
   * nobody wrote), then waits until the following frame is due.
   */
  async write(frame: Int16Array): Promise<void> {
    if (this.#closed) throw new Error(`${this.name}: write() after close()`);
    const padded = new Int16Array(FRAME_SAMPLES);
    padded.set(frame.subarray(0, FRAME_SAMPLES));
    await this.#writer.write(concat(this.#gap(), padded));
    this.#frames++;
    const wait = this.#originMs + this.#frames * FRAME_MS - this.#pacer.now();
    if (wait > 0) await this.#pacer.sleep(wait);
  }

  /** Pads silence up to now and completes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const gap = this.#gap();
    if (gap.length > 0) await this.#writer.write(gap);
    await this.#writer.close();
  }

  /** Silence for the whole frames of wall time that have passed unwritten. */
  #gap(): Int16Array {
    const due = Math.floor((this.#pacer.now() - this.#originMs) / FRAME_MS);
    const missing = Math.max(0, due - this.#frames);
    this.#frames += missing;
    return new Int16Array(missing * FRAME_SAMPLES);
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  if (a.length === 0) return b;
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
