/**
 * Short gain ramps at the start and end of a talk. Starting or stopping playback
 * mid-waveform makes a step that is heard as a click; ramping the gain over a few
 * milliseconds (5 ms by default) removes the step without audibly shortening speech.
 * Raised-cosine is the default shape because its slope is zero at both ends, so the
 * ramp itself adds no corner. Pure functions over Int16 frames.
 *
 * @module
 */

import { SAMPLE_RATE } from "./audio_io.ts";

/** Default fade length: 5 ms at 48 kHz. */
export const DEFAULT_FADE_SAMPLES = (SAMPLE_RATE * 5) / 1000;

/** Gain curve of a fade. */
export type FadeShape = "linear" | "cosine";

/** Options of the fade functions. */
export interface FadeOptions {
  /** Ramp length in samples (default {@linkcode DEFAULT_FADE_SAMPLES}). */
  samples?: number;
  /** Gain curve (default "cosine"). */
  shape?: FadeShape;
}

/**
 * Gain of a fade-in at ramp position `i` of `n`, from just above 0 to just below 1.
 * Offsetting by half a sample keeps both ends strictly inside the ramp, so a fade-in
 * followed by unity gain never repeats the same gain twice.
 */
export function fadeGain(i: number, n: number, shape: FadeShape = "cosine"): number {
  if (i >= n) return 1;
  if (i < 0) return 0;
  const x = (i + 0.5) / n;
  return shape === "linear" ? x : 0.5 - 0.5 * Math.cos(Math.PI * x);
}

function rampLength(length: number, options: FadeOptions): number {
  const n = options.samples ?? DEFAULT_FADE_SAMPLES;
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`fade length must be a non-negative integer, got ${n}`);
  }
  return Math.min(n, length);
}

/** Ramps the first samples of `frame` up from silence, in place; returns `frame`. */
export function fadeInPlace(frame: Int16Array, options: FadeOptions = {}): Int16Array {
  const n = rampLength(frame.length, options);
  const total = options.samples ?? DEFAULT_FADE_SAMPLES;
  for (let i = 0; i < n; i++) {
    frame[i] = Math.round(frame[i] * fadeGain(i, total, options.shape));
  }
  return frame;
}

/** Ramps the last samples of `frame` down to silence, in place; returns `frame`. */
export function fadeOutPlace(frame: Int16Array, options: FadeOptions = {}): Int16Array {
  const n = rampLength(frame.length, options);
  const total = options.samples ?? DEFAULT_FADE_SAMPLES;
  const start = frame.length - n;
  for (let i = 0; i < n; i++) {
    // Mirror of the fade-in: the last sample gets the smallest gain.
    const j = frame.length - 1 - (start + i);
    frame[start + i] = Math.round(frame[start + i] * fadeGain(j, total, options.shape));
  }
  return frame;
}

/** Returns a faded-in copy of `frame`, leaving the input untouched. */
export function fadeIn(frame: Int16Array, options: FadeOptions = {}): Int16Array {
  return fadeInPlace(frame.slice(), options);
}

/** Returns a faded-out copy of `frame`, leaving the input untouched. */
export function fadeOut(frame: Int16Array, options: FadeOptions = {}): Int16Array {
  return fadeOutPlace(frame.slice(), options);
}
