/**
 * Opus voice codec (48 kHz mono, VOIP application, 24 kbit/s, 20 ms frames) over
 * libopus compiled to WebAssembly by npm `opusscript`. We drive opusscript's
 * embind handler directly instead of its `OpusScript` wrapper, because the 0.1.1
 * wrapper views its malloc'd buffers through `HEAPU16.subarray(pointer, …)` with a
 * byte address as the element index, so every encode/decode touches memory at twice
 * the allocated address: memory it does not own (checked: the first instance's PCM
 * scratch lies inside the third instance's allocation). In our trials it happened to
 * hit only other instances' scratch buffers, but nothing guarantees that; here each
 * codec mallocs its own buffers and addresses them correctly.
 *
 * @module
 */

// The emscripten factory of the same wasm build the wrapper uses (no network, no
// system library: it reads the .wasm file shipped in the npm package).
import createNative from "opusscript/build/opusscript_native_wasm.js";
import { FRAME_SAMPLES, SAMPLE_RATE } from "./audio_io.ts";

/** Bit rate of voice packets. */
export const OPUS_BITRATE = 24000;
/** Encoder+decoder look-ahead at 48 kHz (6.5 ms), to align a round trip. */
export const OPUS_DELAY_SAMPLES = 312;

/**
 * libopus application modes. "voip" (SILK or hybrid for speech) is what the messenger
 * sends; "restricted-lowdelay" (CELT only) cuts the look-ahead from 6.5 to 2.5 ms.
 * The mode is the encoder's alone: every packet says in its TOC byte how it was
 * coded, and any decoder plays any mode.
 */
export type OpusApplication = "voip" | "audio" | "restricted-lowdelay";
const APPLICATIONS: Record<OpusApplication, number> = {
  voip: 2048,
  audio: 2049,
  "restricted-lowdelay": 2051,
};
const OPUS_SET_BITRATE_REQUEST = 4002;
const MAX_PACKET_BYTES = 1276 * 3;
/** opusscript's handler decodes up to 120 ms and writes 4 bytes per sample. */
const MAX_DECODED_SAMPLES = 5760;
/** TOC byte for SILK wideband 20 ms mono, used to conceal before any packet arrived. */
const DEFAULT_TOC = 0x48;

const OPUS_ERRORS: Record<number, string> = {
  [-1]: "bad argument",
  [-2]: "buffer too small",
  [-3]: "internal error",
  [-4]: "invalid packet",
  [-5]: "unimplemented",
  [-6]: "invalid state",
  [-7]: "memory allocation failed",
};

/** A libopus failure, or a packet this codec will not take. */
export class OpusCodecError extends Error {
  /** Creates the error; `cause` carries the libopus code when there is one. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OpusCodecError";
  }
}

interface Handler {
  _encode(pcm: number, bytes: number, out: number, frameSize: number): number;
  _decode(packet: number, bytes: number, pcm: number): number;
  _encoder_ctl(ctl: number, arg: number): number;
  delete(): void;
}

interface Native {
  HEAPU8: Uint8Array;
  HEAPU16: Uint16Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  OpusScriptHandler: new (rate: number, channels: number, application: number) => Handler;
}

let native: Native | undefined;
function getNative(): Native {
  // One wasm instance (16 MiB, ≈100 KiB a codec) shared by all codecs of the process.
  native ??= createNative() as Native;
  return native;
}

/**
 * Instantiates the codec from the bytes of opusscript's .wasm file, for a page:
 * there the emscripten loader cannot read the file itself (it only can in
 * Node-like runtimes and workers), so the page fetches it and hands it here
 * before making any codec. Does nothing once the codec is loaded.
 */
export function loadOpusWasm(wasmBinary: Uint8Array): void {
  native ??= createNative({ wasmBinary }) as Native;
}

function check(code: number, what: string): number {
  if (code < 0) {
    throw new OpusCodecError(`opus ${what} failed: ${OPUS_ERRORS[code] ?? code}`, {
      cause: code,
    });
  }
  return code;
}

/** Common ownership of a handler and its scratch buffers. */
abstract class Codec {
  protected readonly n = getNative();
  protected handler: Handler | undefined;
  protected readonly pcmPtr: number;
  protected readonly packetPtr: number;

  constructor(pcmBytes: number, application: OpusApplication = "voip") {
    this.handler = new this.n.OpusScriptHandler(SAMPLE_RATE, 1, APPLICATIONS[application]);
    this.pcmPtr = this.n._malloc(pcmBytes);
    this.packetPtr = this.n._malloc(MAX_PACKET_BYTES);
  }

  protected live(): Handler {
    if (!this.handler) throw new OpusCodecError("opus codec used after delete()");
    return this.handler;
  }

  /** Frees the wasm memory; the codec is unusable afterwards. Safe to call twice. */
  delete(): void {
    if (!this.handler) return;
    this.handler.delete();
    this.handler = undefined;
    this.n._free(this.pcmPtr);
    this.n._free(this.packetPtr);
  }
}

/** Encodes 20 ms frames of 48 kHz mono Int16 into Opus packets (≈60 bytes each). */
export class OpusEncoder extends Codec {
  /** Creates an encoder at `bitrate` bits per second (default 24000) in `application` mode. */
  constructor(bitrate = OPUS_BITRATE, application: OpusApplication = "voip") {
    // The handler reads one byte per 16-bit slot (its Node Buffer convention).
    super(FRAME_SAMPLES * 4, application);
    check(this.live()._encoder_ctl(OPUS_SET_BITRATE_REQUEST, bitrate), "set bitrate");
  }

  /** Encodes one frame of exactly {@linkcode FRAME_SAMPLES} samples. */
  encode(frame: Int16Array): Uint8Array {
    if (frame.length !== FRAME_SAMPLES) {
      throw new RangeError(`opus frame must be ${FRAME_SAMPLES} samples, got ${frame.length}`);
    }
    const handler = this.live();
    const slots = this.n.HEAPU16;
    const base = this.pcmPtr >>> 1;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const s = frame[i];
      slots[base + 2 * i] = s & 0xff;
      slots[base + 2 * i + 1] = (s >> 8) & 0xff;
    }
    const len = check(
      handler._encode(this.pcmPtr, FRAME_SAMPLES * 2, this.packetPtr, FRAME_SAMPLES),
      "encode",
    );
    return this.n.HEAPU8.slice(this.packetPtr, this.packetPtr + len);
  }
}

/** Decodes Opus packets into 20 ms frames, and conceals missing ones. */
export class OpusDecoder extends Codec {
  #toc = DEFAULT_TOC;

  /** Creates a decoder for 48 kHz mono. */
  constructor() {
    super(MAX_DECODED_SAMPLES * 4);
  }

  /**
   * Decodes one packet into {@linkcode FRAME_SAMPLES} samples. Packets of any other
   * duration are refused with an {@linkcode OpusCodecError} (we only send 20 ms).
   */
  decode(packet: Uint8Array): Int16Array {
    if (packet.length < 1 || packet.length > MAX_PACKET_BYTES) {
      throw new OpusCodecError(`opus packet of ${packet.length} bytes`);
    }
    const frame = this.#run(packet);
    this.#toc = packet[0] & 0xfc;
    return frame;
  }

  /**
   * Packet-loss concealment for one missing frame. opusscript has no call for it and
   * an empty packet makes libopus conceal the whole 120 ms output buffer, so we hand
   * it a bare TOC byte (code 0, zero-length frame) copied from the last packet:
   * libopus conceals exactly one frame of that packet's duration, 20 ms.
   */
  conceal(): Int16Array {
    return this.#run(Uint8Array.of(this.#toc));
  }

  #run(packet: Uint8Array): Int16Array {
    const handler = this.live();
    this.n.HEAPU8.set(packet, this.packetPtr);
    const samples = check(handler._decode(this.packetPtr, packet.length, this.pcmPtr), "decode");
    if (samples !== FRAME_SAMPLES) {
      throw new OpusCodecError(`opus packet holds ${samples} samples, not ${FRAME_SAMPLES}`);
    }
    // Output is one byte per 16-bit slot, low byte first.
    const slots = this.n.HEAPU16;
    const base = this.pcmPtr >>> 1;
    const out = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      out[i] = slots[base + 2 * i] | (slots[base + 2 * i + 1] << 8);
    }
    return out;
  }
}
