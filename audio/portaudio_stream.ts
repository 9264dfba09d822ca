/**
 * One open PortAudio stream in blocking-API mode with 16-bit samples. Reads and
 * writes are `nonblocking` FFI calls: they run on a worker thread and return promises,
 * so waiting for the device never stalls the event loop. Callers must serialise calls
 * on one stream and leave a buffer alone until its promise resolves.
 *
 * @module
 */

import {
  PA_CLIP_OFF,
  PA_INPUT_OVERFLOWED,
  PA_INT16,
  PA_OUTPUT_UNDERFLOWED,
  type PaStreamInfo,
  type PortAudio,
  ul,
} from "./portaudio_ffi.ts";

/** What one direction of a stream should use (`PaStreamParameters`). */
export interface PaStreamParams {
  /** Device index. */
  device: number;
  /** Channel count. */
  channels: number;
  /** Suggested latency in seconds. */
  suggestedLatency: number;
}

/** Packs `PaStreamParameters` (32 bytes: i32 device, i32 channels, format, f64, pointer). */
function streamParams(p: PaStreamParams): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, p.device, true);
  view.setInt32(4, p.channels, true);
  // Low 32 bits of a zeroed 64-bit field: right for both 32- and 64-bit `unsigned long`.
  view.setUint32(8, PA_INT16, true);
  view.setFloat64(16, p.suggestedLatency, true);
  return bytes;
}

/** An open PortAudio stream (blocking API, 16-bit samples). */
export class PaStream {
  #pa: PortAudio;
  #handle: Deno.PointerObject | null;
  #info: PaStreamInfo | null = null;

  /** Opens a blocking-API (no callback) paInt16 stream; it starts stopped. */
  static open(
    pa: PortAudio,
    input: PaStreamParams | null,
    output: PaStreamParams | null,
    sampleRate: number,
    framesPerBuffer: number,
  ): PaStream {
    const out = new BigUint64Array(1);
    pa.check(
      "Pa_OpenStream",
      pa.lib.Pa_OpenStream(
        out,
        input && streamParams(input),
        output && streamParams(output),
        sampleRate,
        ul(framesPerBuffer),
        ul(PA_CLIP_OFF),
        null,
        null,
      ),
    );
    return new PaStream(pa, Deno.UnsafePointer.create(out[0])!);
  }

  /** Wraps a `PaStream*` returned by `Pa_OpenStream`. */
  constructor(pa: PortAudio, handle: Deno.PointerObject) {
    this.#pa = pa;
    this.#handle = handle;
  }

  // Using a closed PaStream* would read freed memory: fail loudly instead.
  #live(call: string): Deno.PointerObject {
    if (!this.#handle) throw new Error(`${call} on a closed PortAudio stream: open a new one.`);
    return this.#handle;
  }

  /** Starts the stream's clock. */
  start(): void {
    this.#pa.check("Pa_StartStream", this.#pa.lib.Pa_StartStream(this.#live("Pa_StartStream")));
  }

  /**
   * Stops the stream. Through ALSA's pulse plugin the last ~60 ms of queued output are
   * dropped (measured), so a player pads with silence first.
   */
  stop(): void {
    this.#pa.check("Pa_StopStream", this.#pa.lib.Pa_StopStream(this.#live("Pa_StopStream")));
  }

  /** Closes the stream; the object is unusable afterwards. */
  close(): void {
    this.info();
    const handle = this.#live("Pa_CloseStream");
    this.#handle = null;
    this.#pa.check("Pa_CloseStream", this.#pa.lib.Pa_CloseStream(handle));
  }

  /**
   * Reads `buffer.length / channels` frames on a worker thread. Resolves to 0 or to
   * {@linkcode PA_INPUT_OVERFLOWED} (data was still read). `buffer` must not be touched
   * until the promise resolves.
   */
  async read(buffer: Int16Array<ArrayBuffer>, channels = 1): Promise<number> {
    const code = await this.#pa.lib.Pa_ReadStream(
      this.#live("Pa_ReadStream"),
      buffer,
      ul(buffer.length / channels),
    );
    return this.#pa.check("Pa_ReadStream", code, [PA_INPUT_OVERFLOWED]);
  }

  /**
   * Writes `buffer.length / channels` frames on a worker thread, resolving when the
   * device has room for them. Resolves to 0 or {@linkcode PA_OUTPUT_UNDERFLOWED}.
   */
  async write(buffer: Int16Array<ArrayBuffer>, channels = 1): Promise<number> {
    const code = await this.#pa.lib.Pa_WriteStream(
      this.#live("Pa_WriteStream"),
      buffer,
      ul(buffer.length / channels),
    );
    return this.#pa.check("Pa_WriteStream", code, [PA_OUTPUT_UNDERFLOWED]);
  }

  /** Frames that can be written now without blocking (free room in the output buffer). */
  writeAvailable(): number {
    const n = Number(
      this.#pa.lib.Pa_GetStreamWriteAvailable(this.#live("Pa_GetStreamWriteAvailable")),
    );
    return this.#pa.check("Pa_GetStreamWriteAvailable", n);
  }

  /** Latencies PortAudio reports for this stream (fixed once open; kept after close). */
  info(): PaStreamInfo {
    if (this.#info) return this.#info;
    const p = this.#pa.lib.Pa_GetStreamInfo(this.#live("Pa_GetStreamInfo"));
    if (!p) return { inputLatency: 0, outputLatency: 0, sampleRate: 0 };
    const v = new Deno.UnsafePointerView(p);
    this.#info = {
      inputLatency: v.getFloat64(8),
      outputLatency: v.getFloat64(16),
      sampleRate: v.getFloat64(24),
    };
    return this.#info;
  }
}
