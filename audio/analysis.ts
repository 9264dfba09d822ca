/**
 * Measurements for tests and benchmarks: signal level, how well a recording matches
 * a reference once their time offset is found, and where tone bursts begin. The
 * cross-correlation runs through an FFT so that aligning ten-second recordings at
 * 48 kHz stays well under a second. Pure functions over sample arrays.
 *
 * @module
 */

/** Any array of samples: Int16Array, Float32Array, plain numbers. */
export type Samples = ArrayLike<number>;

/** Root-mean-square level (0 for an empty signal). */
export function rms(samples: Samples): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/** Level in dB relative to Int16 full scale (-Infinity for silence). */
export function dbfs(level: number): number {
  return 20 * Math.log10(level / 32768);
}

/** Result of {@linkcode alignedCorrelation}. */
export interface Alignment {
  /** Normalized cross-correlation at the best lag, -1..1. */
  correlation: number;
  /** Samples by which `recording` lags `reference` (recording[n + lag] ≈ reference[n]). */
  lag: number;
}

/** In-place iterative radix-2 FFT; `inverse` computes the unscaled inverse. */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    const half = len >> 1;
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** Normalized correlation of reference[n] and recording[n + lag] over their overlap. */
export function correlationAtLag(reference: Samples, recording: Samples, lag: number): number {
  const from = Math.max(0, -lag);
  const to = Math.min(reference.length, recording.length - lag);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let n = from; n < to; n++) {
    const x = reference[n];
    const y = recording[n + lag];
    xy += x * y;
    xx += x * x;
    yy += y * y;
  }
  return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
}

/**
 * Finds the lag in [-maxLagSamples, maxLagSamples] that best aligns `recording`
 * with `reference` and returns the normalized correlation there. All lags are
 * scored at once by FFT cross-correlation (the two real signals share one complex
 * transform); the winner is then rescored exactly over the overlap.
 */
export function alignedCorrelation(
  reference: Samples,
  recording: Samples,
  maxLagSamples: number,
): Alignment {
  const maxLag = Math.max(0, Math.floor(maxLagSamples));
  let size = 1;
  while (size < reference.length + recording.length) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < reference.length; i++) re[i] = reference[i];
  for (let i = 0; i < recording.length; i++) im[i] = recording[i];
  fft(re, im, false);
  // Z = X + iY. Spectra: X[k] = (Z[k] + conj Z[-k]) / 2, Y[k] = (Z[k] - conj Z[-k]) / 2i;
  // the cross-spectrum conj(X)·Y turns into sum_n x[n] y[n + lag] after the inverse.
  const cr = new Float64Array(size);
  const ci = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    const m = (size - k) & (size - 1);
    const xr = (re[k] + re[m]) / 2;
    const xi = (im[k] - im[m]) / 2;
    const yr = (im[k] + im[m]) / 2;
    const yi = -(re[k] - re[m]) / 2;
    cr[k] = xr * yr + xi * yi;
    ci[k] = xr * yi - xi * yr;
  }
  fft(cr, ci, true);
  let best = 0;
  let bestScore = -Infinity;
  // Only lags where the two overlap: beyond them a negative lag's bin is a positive
  // lag's (the transform is circular), and a recording much longer than the reference
  // then matched at a lag where nothing overlaps (correlation 0).
  const from = Math.max(-maxLag, 1 - reference.length);
  const to = Math.min(maxLag, recording.length - 1);
  for (let lag = from; lag <= to; lag++) {
    const score = cr[(lag + size) & (size - 1)];
    if (score > bestScore) {
      bestScore = score;
      best = lag;
    }
  }
  return { correlation: correlationAtLag(reference, recording, best), lag: best };
}

/** Options of {@linkcode windowedCorrelation}. */
export interface WindowOptions {
  /** Window length (default 12000 samples, 250 ms at 48 kHz). */
  windowSamples?: number;
  /** How far each window may sit from the global alignment (default 9600, 200 ms). */
  slackSamples?: number;
}

/**
 * Like {@linkcode alignedCorrelation}, but for a recording whose timeline may shift a
 * little as it goes (a receiver that skips a quiet frame to keep latency down, or
 * pads a stall with silence): each window of the reference that carries sound is
 * aligned on its own near the global lag, and the result is the energy-weighted mean
 * of their correlations. A recording of other sound still scores near 0.
 */
export function windowedCorrelation(
  reference: Samples,
  recording: Samples,
  options: WindowOptions = {},
): Alignment {
  const win = options.windowSamples ?? 12000;
  const slack = options.slackSamples ?? 9600;
  const global = alignedCorrelation(reference, recording, recording.length);
  const floor = rms(reference) * 0.1;
  let sum = 0;
  let weights = 0;
  for (let start = 0; start + win <= reference.length; start += win) {
    const part = Array.prototype.slice.call(reference, start, start + win) as number[];
    const level = rms(part);
    if (level <= floor) continue;
    const from = Math.max(0, start + global.lag - slack);
    const to = Math.min(recording.length, start + global.lag + win + slack);
    if (to - from < win) continue;
    const seg = Array.prototype.slice.call(recording, from, to) as number[];
    const best = alignedCorrelation(part, seg, seg.length);
    const weight = level * level;
    sum += best.correlation * weight;
    weights += weight;
  }
  return { correlation: weights > 0 ? sum / weights : 0, lag: global.lag };
}

/** Options of {@linkcode findOnsets}. */
export interface OnsetOptions {
  /** Quiet samples needed between two bursts (default 2400, i.e. 50 ms at 48 kHz). */
  minGapSamples?: number;
}

/**
 * Indices where |sample| first reaches `threshold` after at least `minGapSamples`
 * below it (the very first crossing always counts): the starts of tone bursts.
 */
export function findOnsets(
  samples: Samples,
  threshold: number,
  options: OnsetOptions = {},
): number[] {
  const minGap = options.minGapSamples ?? 2400;
  const onsets: number[] = [];
  let quiet = Infinity;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]) >= threshold) {
      if (quiet >= minGap) onsets.push(i);
      quiet = 0;
    } else {
      quiet++;
    }
  }
  return onsets;
}
