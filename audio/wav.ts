/**
 * WAV files in and out. Reading accepts RIFF/WAVE with integer PCM (8, 16, 24, 32
 * bit), IEEE float (32, 64 bit) and WAVE_FORMAT_EXTENSIBLE, any channel count and
 * rate, and converts to what the messenger speaks: 48 kHz mono Int16 (channels
 * averaged, rate changed by a Kaiser-windowed sinc resampler whose cutoff sits below
 * the lower of the two Nyquist frequencies, so downsampling does not alias).
 * Writing produces 16-bit PCM; {@linkcode WavFileWriter} streams to disk and keeps
 * the header's sizes current after every write, so a file stays playable whenever
 * the process stops.
 *
 * @module
 */

import { SAMPLE_RATE } from "./audio_io.ts";

/** A byte stream that is not a WAV file we can read. */
export class WavFormatError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WavFormatError";
  }
}

/** A decoded WAV file, converted to 48 kHz mono. */
export interface WavAudio {
  /** Sample rate of the file as stored. */
  sampleRate: number;
  /** Channel count of the file as stored. */
  channels: number;
  /** Audio as 48 kHz mono Int16. */
  samples: Int16Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
const ascii = (b: Uint8Array, at: number) => String.fromCharCode(...b.subarray(at, at + 4));

/** Parses a WAV file and converts it to 48 kHz mono Int16. */
export function readWav(bytes: Uint8Array): WavAudio {
  const { sampleRate, channels, mono } = decodeWav(bytes);
  return { sampleRate, channels, samples: toInt16(resample(mono, sampleRate, SAMPLE_RATE)) };
}

/** Parses a WAV file into its rate, channel count and a mono downmix in [-1, 1]. */
export function decodeWav(
  bytes: Uint8Array,
): { sampleRate: number; channels: number; mono: Float32Array } {
  if (bytes.length < 12 || ascii(bytes, 0) !== "RIFF" || ascii(bytes, 8) !== "WAVE") {
    throw new WavFormatError("not a RIFF/WAVE file");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = ascii(bytes, at);
    let size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + size > bytes.length) throw new WavFormatError("short fmt chunk");
      let format = view.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE && size >= 40) format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!fmt) throw new WavFormatError("data chunk before fmt chunk");
      // Writers that were killed, or that stream, leave 0 or 0xFFFFFFFF here.
      if (size === 0 || body + size > bytes.length) size = bytes.length - body;
      return { sampleRate: fmt.rate, channels: fmt.channels, mono: downmix(view, body, size, fmt) };
    }
    at = body + size + (size & 1);
  }
  throw new WavFormatError(fmt ? "no data chunk" : "no fmt chunk");
}

function downmix(
  view: DataView,
  start: number,
  size: number,
  fmt: { format: number; channels: number; rate: number; bits: number },
): Float32Array {
  const { format, channels, rate, bits } = fmt;
  if (channels < 1 || rate < 1) throw new WavFormatError(`bad format ${channels} ch ${rate} Hz`);
  const width = bits / 8;
  const sample = sampleReader(view, format, bits);
  const frames = Math.floor(size / (width * channels));
  const mono = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += sample(start + (f * channels + c) * width);
    mono[f] = sum / channels;
  }
  return mono;
}

function sampleReader(view: DataView, format: number, bits: number): (at: number) => number {
  if (format === FORMAT_PCM) {
    switch (bits) {
      case 8: // unsigned, centred on 128
        return (at) => (view.getUint8(at) - 128) / 128;
      case 16:
        return (at) => view.getInt16(at, true) / 32768;
      case 24:
        return (
          at,
        ) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) /
          8388608);
      case 32:
        return (at) => view.getInt32(at, true) / 2147483648;
    }
  } else if (format === FORMAT_FLOAT) {
    if (bits === 32) return (at) => view.getFloat32(at, true);
    if (bits === 64) return (at) => view.getFloat64(at, true);
  }
  throw new WavFormatError(`unsupported WAV encoding: format ${format}, ${bits} bit`);
}

/** Zero crossings of the sinc kept on each side of a resampled point. */
const ZERO_CROSSINGS = 16;
/** Kernel table resolution: steps per zero crossing (linearly interpolated). */
const TABLE_STEPS = 512;
const KAISER_BETA = 8.6;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

let kernelTable: Float64Array | undefined;
function kernel(): Float64Array {
  if (kernelTable) return kernelTable;
  const table = new Float64Array(ZERO_CROSSINGS * TABLE_STEPS + 2);
  const norm = besselI0(KAISER_BETA);
  for (let i = 0; i < table.length; i++) {
    const u = i / TABLE_STEPS;
    const r = Math.min(1, u / ZERO_CROSSINGS);
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    table[i] = sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm);
  }
  kernelTable = table;
  return table;
}

/**
 * Changes the sample rate of a float signal with a windowed-sinc interpolator. The
 * passband ends at 92% of the lower Nyquist frequency, leaving the filter room to
 * reach its stopband (≈-80 dB) before anything could alias or image.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return input.slice();
  const table = kernel();
  const step = fromRate / toRate;
  const fc = 0.92 * Math.min(1, toRate / fromRate);
  const reach = ZERO_CROSSINGS / fc;
  const out = new Float32Array(Math.floor((input.length * toRate) / fromRate));
  for (let n = 0; n < out.length; n++) {
    const t = n * step;
    const first = Math.max(0, Math.ceil(t - reach));
    const last = Math.min(input.length - 1, Math.floor(t + reach));
    let acc = 0;
    for (let k = first; k <= last; k++) {
      const pos = Math.abs(t - k) * fc * TABLE_STEPS;
      const i = pos | 0;
      if (i >= table.length - 1) continue;
      const frac = pos - i;
      acc += input[k] * (table[i] + (table[i + 1] - table[i]) * frac);
    }
    out[n] = acc * fc;
  }
  return out;
}

/** Converts [-1, 1] floats to Int16, rounding and clamping. */
export function toInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768)));
  }
  return out;
}

/** The 44-byte header of a 16-bit PCM WAV holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate: number, channels = 1): Uint8Array {
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const put = (at: number, s: string) => header.set([...s].map((c) => c.charCodeAt(0)), at);
  put(0, "RIFF");
  view.setUint32(4, Math.min(0xffffffff, 36 + dataBytes), true);
  put(8, "WAVE");
  put(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  put(36, "data");
  view.setUint32(40, Math.min(0xffffffff, dataBytes), true);
  return header;
}

/** Little-endian bytes of Int16 samples, whatever the platform byte order. */
function pcmBytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i], true);
  return out;
}

/** Encodes Int16 samples (interleaved if `channels` > 1) as a 16-bit PCM WAV file. */
export function encodeWav(samples: Int16Array, sampleRate = SAMPLE_RATE, channels = 1): Uint8Array {
  const data = pcmBytes(samples);
  const out = new Uint8Array(44 + data.length);
  out.set(wavHeader(data.length, sampleRate, channels));
  out.set(data, 44);
  return out;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

/**
 * Streams 16-bit mono PCM to a WAV file. The header is written first and its two
 * size fields are rewritten after every `write`, so the file on disk is always a
 * complete WAV of everything written so far.
 */
export class WavFileWriter {
  /** Path of the file being written. */
  readonly path: string;
  /** Sample rate written in the header. */
  readonly sampleRate: number;
  #file: Deno.FsFile | undefined;
  #dataBytes = 0;
  #queue: Promise<void> = Promise.resolve();

  private constructor(path: string, file: Deno.FsFile, sampleRate: number) {
    this.path = path;
    this.#file = file;
    this.sampleRate = sampleRate;
  }

  /** Creates (or truncates) `path` and writes an empty WAV header. */
  static async create(path: string, sampleRate = SAMPLE_RATE): Promise<WavFileWriter> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    await writeAll(file, wavHeader(0, sampleRate));
    return new WavFileWriter(path, file, sampleRate);
  }

  /** Samples written so far. */
  get samplesWritten(): number {
    return this.#dataBytes / 2;
  }

  /** Appends samples and updates the header; writes are applied in call order. */
  write(samples: Int16Array): Promise<void> {
    return this.#serial(async (file) => {
      await file.seek(0, Deno.SeekMode.End);
      await writeAll(file, pcmBytes(samples));
      this.#dataBytes += samples.length * 2;
      await file.seek(0, Deno.SeekMode.Start);
      await writeAll(file, wavHeader(this.#dataBytes, this.sampleRate));
    });
  }

  /** Finishes pending writes and closes the file. Safe to call twice. */
  close(): Promise<void> {
    return this.#serial((file) => {
      file.close();
      this.#file = undefined;
      return Promise.resolve();
    }, true);
  }

  #serial(job: (file: Deno.FsFile) => Promise<void>, closing = false): Promise<void> {
    const run = this.#queue.then(() => {
      if (!this.#file) {
        if (closing) return;
        throw new Error(`WAV writer for ${this.path} is closed`);
      }
      return job(this.#file);
    });
    // Keep the chain alive after a failed write so close() still runs.
    this.#queue = run.catch(() => {});
    return run;
  }
}
