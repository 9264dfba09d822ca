/**
 * Mixing of several talkers into one playback frame. Samples are summed in plain
 * numbers (no Int16 wrap-around). A single talker is copied bit-exact, and a sum
 * of several that stays below a knee (3/4 of full scale) is written unchanged. Only
 * the part of a sum above the knee is compressed, by a smooth curve that approaches
 * but never exceeds full scale: loud overlaps get softer instead of wrapping or
 * hard-clipping into harsh distortion. Pure: frames in, a frame out.
 *
 * @module
 */

import { FRAME_SAMPLES } from "./audio_io.ts";

/** Largest positive Int16 value. */
const FULL_SCALE = 32767;
/** Default knee of the soft limiter: sums up to this magnitude pass unchanged. */
export const DEFAULT_KNEE = 24576;

/**
 * Soft-limits one summed sample. Below the knee it is the identity; above it the
 * excess is squashed with tanh, which is continuous in value and slope at the knee
 * and saturates at full scale, so the result always fits Int16.
 */
export function softLimit(x: number, knee = DEFAULT_KNEE): number {
  const a = x < 0 ? -x : x;
  if (a <= knee) return x;
  const room = FULL_SCALE - knee;
  const y = knee + room * Math.tanh((a - knee) / room);
  return x < 0 ? -y : y;
}

/** Options of {@linkcode mixFrames}. */
export interface MixOptions {
  /** Where soft limiting starts (default {@linkcode DEFAULT_KNEE}). */
  knee?: number;
  /** Output frame length (default: longest input, or FRAME_SAMPLES if none). */
  length?: number;
}

/**
 * Mixes frames into a new Int16 frame. Shorter frames are treated as padded with
 * silence. One frame is copied exactly; for several, a sum within the knee is
 * copied exactly and louder sums are soft-limited.
 */
export function mixFrames(frames: readonly Int16Array[], options: MixOptions = {}): Int16Array {
  const knee = options.knee ?? DEFAULT_KNEE;
  if (!(knee > 0 && knee < FULL_SCALE)) {
    throw new RangeError(`mixer knee must be in (0, ${FULL_SCALE}), got ${knee}`);
  }
  let length = options.length ?? 0;
  if (options.length === undefined) {
    for (const f of frames) length = Math.max(length, f.length);
    if (frames.length === 0) length = FRAME_SAMPLES;
  }
  const out = new Int16Array(length);
  if (frames.length === 1) {
    // One talker cannot overflow, so it is copied untouched: limiting it would only
    // colour loud speech that plays fine on its own.
    out.set(frames[0].subarray(0, length));
    return out;
  }
  const sum = new Int32Array(length);
  for (const f of frames) {
    const n = Math.min(length, f.length);
    for (let i = 0; i < n; i++) sum[i] += f[i];
  }
  for (let i = 0; i < length; i++) out[i] = limitToInt16(sum[i], knee);
  return out;
}

function limitToInt16(x: number, knee: number): number {
  if (x >= -knee && x <= knee) return x;
  return Math.round(softLimit(x, knee));
}
