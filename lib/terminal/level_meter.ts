/**
 * The microphone level meter shown in the prompt while talking: a peak
 * sample mapped to a short bar on a dB scale, so quiet speech still moves it.
 *
 * @module
 */

import { levelFraction } from "../../audio/vad.ts";

/** A bar of `width` cells for a peak sample value (0..32767). */
export function levelBar(peak: number, width = 8): string {
  const cells = Math.round(levelFraction(peak) * width);
  return "▮".repeat(cells) + "▯".repeat(width - cells);
}
