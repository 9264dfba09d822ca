/**
 * The microphone level meter shown in the prompt while talking: a peak
 * sample mapped to a short bar on a dB scale, so quiet speech still moves it.
 *
 * @module
 */

/** A bar of `width` cells for a peak sample value (0..32767). */
export function levelBar(peak: number, width = 8): string {
  const db = 20 * Math.log10(Math.max(1, peak) / 32767);
  // -48 dBFS and below is an empty bar, 0 dBFS a full one.
  const cells = Math.max(0, Math.min(width, Math.round(((db + 48) / 48) * width)));
  return "▮".repeat(cells) + "▯".repeat(width - cells);
}
