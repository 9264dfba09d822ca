/**
 * Wire frames shared by the relay and the client.
 *
 * Every frame is a 4-byte big-endian length of the rest, a 1-byte type and the
 * payload. {@linkcode FrameDecoder} is streaming: bytes may arrive split anywhere
 * (one byte at a time, or many frames in one read) and yield the same frames. A
 * declared length over the configured maximum is refused before anything is
 * allocated for it, so a peer cannot make the reader reserve memory it chooses.
 *
 * @module
 */

/** Bytes before the payload: 4 of length, 1 of type. */
export const HEADER_SIZE = 5;

/** Default largest frame (type and payload) a reader accepts, in bytes. */
export const DEFAULT_MAX_FRAME = 65536;

/** One decoded frame. `payload` is a view that stays valid after later pushes. */
export interface Frame {
  /** Frame type, see `FrameType` in protocol.ts. */
  type: number;
  /** Frame body; its meaning depends on the type. */
  payload: Uint8Array;
}

/** Raised when a peer declares a frame larger than the reader allows. */
export class FrameTooLargeError extends RangeError {
  /** The length the peer declared. */
  readonly declared: number;
  /** The largest length the reader accepts. */
  readonly limit: number;
  constructor(declared: number, limit: number) {
    super(`frame of ${declared} bytes exceeds the limit of ${limit} bytes`);
    this.name = "FrameTooLargeError";
    this.declared = declared;
    this.limit = limit;
  }
}

/** Raised for a frame that cannot be a frame at all (a zero length: no type byte). */
export class MalformedFrameError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "MalformedFrameError";
  }
}

/** Encodes one frame: length, type, payload, in a single new buffer. */
export function encodeFrame(type: number, payload: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(out, 0, type, payload.length);
  out.set(payload, HEADER_SIZE);
  return out;
}

/**
 * Encodes a frame whose payload is `prefix` followed by `body`, without first
 * joining them: the relay stamps a sender on a sealed payload this way.
 */
export function encodeFrameParts(type: number, prefix: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + prefix.length + body.length);
  writeHeader(out, 0, type, prefix.length + body.length);
  out.set(prefix, HEADER_SIZE);
  out.set(body, HEADER_SIZE + prefix.length);
  return out;
}

/** Writes a frame's header (length, type) for a payload of `payloadLength` bytes at `out[at]`. */
export function writeHeader(
  out: Uint8Array,
  at: number,
  type: number,
  payloadLength: number,
): void {
  const length = payloadLength + 1;
  out[at] = length >>> 24;
  out[at + 1] = (length >>> 16) & 0xff;
  out[at + 2] = (length >>> 8) & 0xff;
  out[at + 3] = length & 0xff;
  out[at + 4] = type;
}

const EMPTY = new Uint8Array(0);

/** Joins byte arrays into one (frames into a stream, recorded chunks into a buffer). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Walks the complete frames in `data[pos, end)` without copying them: calls
 * `onFrame` with each frame's type and payload bounds, and returns where the
 * first incomplete frame starts. {@linkcode FrameDecoder} is built on it; load
 * generators use it directly on their read buffers.
 * @throws {FrameTooLargeError} when a header declares more than `maxFrame`.
 * @throws {MalformedFrameError} when a header declares a length of zero.
 */
export function scanFrames(
  data: Uint8Array,
  pos: number,
  end: number,
  maxFrame: number,
  onFrame: (type: number, payloadStart: number, payloadEnd: number) => void,
): number {
  while (end - pos >= 4) {
    const length = ((data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) |
      data[pos + 3]) >>> 0;
    if (length > maxFrame) throw new FrameTooLargeError(length, maxFrame);
    if (length === 0) throw new MalformedFrameError("frame of length 0 has no type byte");
    if (end - pos < 4 + length) break;
    onFrame(data[pos + 4], pos + 5, pos + 4 + length);
    pos += 4 + length;
  }
  return pos;
}

/**
 * Streaming frame decoder. Push bytes as they arrive; each call returns the
 * frames completed by them. After it has thrown, the stream is unusable: the
 * caller reports the error and closes the connection.
 */
export class FrameDecoder {
  readonly #maxFrame: number;
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;

  /** `maxFrame`: the largest length (type byte plus payload) accepted. */
  constructor(maxFrame: number = DEFAULT_MAX_FRAME) {
    this.#maxFrame = maxFrame;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /**
   * Feeds bytes; returns every frame they complete, in order.
   * @throws {FrameTooLargeError} when a header declares more than the maximum.
   * @throws {MalformedFrameError} when a header declares a length of zero.
   */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let data: Uint8Array;
    let pos: number;
    let end: number;
    if (this.pending === 0) {
      // Fast path: nothing buffered, decode straight from the chunk.
      data = chunk;
      pos = 0;
      end = chunk.length;
    } else {
      this.#append(chunk);
      data = this.#buf;
      pos = this.#start;
      end = this.#end;
    }
    pos = scanFrames(data, pos, end, this.#maxFrame, (type, from, to) => {
      // Copy so that the frame outlives the read buffer it came in.
      frames.push({ type, payload: data.slice(from, to) });
    });
    if (data === chunk) {
      if (pos < end) {
        this.#buf = EMPTY;
        this.#start = this.#end = 0;
        this.#append(chunk.subarray(pos));
      }
    } else {
      this.#start = pos;
      if (this.#start === this.#end) this.#start = this.#end = 0;
    }
    return frames;
  }

  #append(bytes: Uint8Array): void {
    const need = this.#end - this.#start + bytes.length;
    if (this.#end + bytes.length > this.#buf.length) {
      // Grow only to what the pending bytes need (bounded by maxFrame + header),
      // never to a length the peer declared.
      const size = Math.max(need, Math.min(this.#buf.length * 2, this.#maxFrame + HEADER_SIZE), 64);
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = next;
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }
}
