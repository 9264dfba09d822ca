/**
 * Silence detection in the spirit of the original project: a frame is silent when
 * its loudest sample stays below a threshold, and a talk ends once silence has
 * lasted for a hangover. The original counted 40 buffers of 186 ms; here the
 * hangover is in milliseconds so it does not depend on the frame size. Pure logic:
 * frames in, decisions out.
 *
 * @module
 */

import { FRAME_MS, SAMPLE_RATE } from "./audio_io.ts";

/** Default peak threshold below which a frame counts as silent (as the original). */
export const DEFAULT_VAD_THRESHOLD = 600;
/** Default length of silence that ends a talk, in milliseconds. */
export const DEFAULT_VAD_HANGOVER_MS = 800;

/** Largest absolute sample value of a frame (0 for an empty frame). */
export function peakLevel(frame: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i];
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
  }
  return peak;
}

/**
 * A peak sample value (0..32767) on a level meter's dB scale, 0..1: -48 dBFS
 * and below is 0, full scale 1, so quiet speech still moves the meter.
 */
export function levelFraction(peak: number): number {
  const db = 20 * Math.log10(Math.max(1, peak) / 32767);
  return Math.max(0, Math.min(1, (db + 48) / 48));
}

/** Settings of a {@linkcode VoiceActivityDetector}. */
export interface VadOptions {
  /** A frame whose peak is below this is silent (0..32768). */
  threshold?: number;
  /** Consecutive silence, in ms, after which the talk ends. */
  hangoverMs?: number;
}

/** What the detector decided about one frame. */
export interface VadDecision {
  /** Peak |sample| of the frame. */
  peak: number;
  /** Whether the frame is below the threshold. */
  silent: boolean;
  /** True exactly once per talk: on the frame where silence reaches the hangover. */
  ended: boolean;
}

/**
 * Tracks consecutive silence over a stream of frames and reports when a talk ends.
 * Silence is accumulated as the frames' real duration, so frames of any length work.
 */
export class VoiceActivityDetector {
  /** Peak threshold in use. */
  readonly threshold: number;
  /** Hangover in use, in ms. */
  readonly hangoverMs: number;
  #silentMs = 0;
  #ended = false;

  /** Creates a detector; invalid settings throw a RangeError. */
  constructor(options: VadOptions = {}) {
    const threshold = options.threshold ?? DEFAULT_VAD_THRESHOLD;
    const hangoverMs = options.hangoverMs ?? DEFAULT_VAD_HANGOVER_MS;
    if (!Number.isFinite(threshold) || threshold < 0) {
      throw new RangeError(`VAD threshold must be >= 0, got ${threshold}`);
    }
    if (!Number.isFinite(hangoverMs) || hangoverMs < 0) {
      throw new RangeError(`VAD hangover must be >= 0 ms, got ${hangoverMs}`);
    }
    this.threshold = threshold;
    this.hangoverMs = hangoverMs;
  }

  /** Milliseconds of consecutive silence seen so far. */
  get silentMs(): number {
    return this.#silentMs;
  }

  /** Classifies one frame and updates the silence run. */
  push(frame: Int16Array): VadDecision {
    const peak = peakLevel(frame);
    const silent = peak < this.threshold;
    let ended = false;
    if (silent) {
      // Duration from the sample count, not FRAME_MS, so odd-sized frames count right.
      this.#silentMs += (frame.length * 1000) / SAMPLE_RATE;
      // A tiny epsilon absorbs float drift from summing 20 ms steps.
      if (!this.#ended && this.#silentMs + 1e-6 >= this.hangoverMs) {
        this.#ended = true;
        ended = true;
      }
    } else {
      this.#silentMs = 0;
      this.#ended = false;
    }
    return { peak, silent, ended };
  }

  /** Forgets the silence run, e.g. when a new talk starts. */
  reset(): void {
    this.#silentMs = 0;
    this.#ended = false;
  }
}

/** Number of 20 ms frames of silence that make up a hangover of `hangoverMs`. */
export function hangoverFrames(hangoverMs: number): number {
  return Math.max(1, Math.ceil(hangoverMs / FRAME_MS - 1e-9));
}
