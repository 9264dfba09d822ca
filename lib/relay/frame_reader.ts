/**
 * How the relay reads a connection: one read at a time into a buffer that is a
 * small slot of a shared slab while the connection is idle and a buffer of its
 * own while it fills its reads, frames decoded as they arrive, and a read
 * failure turned into the fatal error (or plain close) it calls for.
 *
 * @module
 */

import { type FrameDecoder, FrameTooLargeError, MalformedFrameError } from "../framing.ts";
import { type ErrorCode, ProtocolError } from "../protocol.ts";
import { ReadSlots, SLOT_BYTES } from "./read_slots.ts";
import type { ReadTarget, RelaySocket } from "./socket.ts";

// An idle connection keeps its read buffer for as long as it is idle: a small slot
// of a shared slab (lib/relay/read_slots.ts), which busy connections trade for a
// buffer of their own that grows. 2048 bytes each cost 1.8 KiB more per idle
// connection (bench/memory.ts).
const READ_MIN = SLOT_BYTES;
const READ_MAX = 64 * 1024;
/** The small read buffers of every connection of the relay. */
const readSlots = new ReadSlots();

/** Gives a read buffer back to the slots if it is one (only slots have the smallest size). */
function releaseReadBuffer(buf: Uint8Array): void {
  if (buf.length === READ_MIN) readSlots.give(buf);
}

/** The connection that {@linkcode readFrames} reads for. */
export interface FrameSink {
  /** The connection has ended: nothing more is read. */
  readonly closed: boolean;
  /** A fatal error is on its way to the peer: the rest of the read is not handled. */
  readonly failing: boolean;
  /** When the last bytes arrived (ms since epoch). */
  lastHeard: number;
  /** Handles one decoded frame; a throw ends the reading as a read failure. */
  handleFrame(type: number, payload: Uint8Array): void;
  /** Sends a fatal error, then closes. */
  fail(code: ErrorCode, message: string): void;
  /** Closes at once. */
  close(reason: string): void;
}

/**
 * Reads `socket` until it ends, handing each frame to `sink`. A callback per
 * read rather than an async loop: a suspended async function kept a generator
 * and two promises alive per idle connection (bench/analysis.md).
 */
export function readFrames(
  socket: RelaySocket,
  decoder: FrameDecoder,
  sink: FrameSink,
  buf: Uint8Array = readSlots.take(),
): void {
  new FrameReader(socket, decoder, sink, buf).next();
}

/** One connection's reading: the read under way, and what to do when it ends. */
class FrameReader implements ReadTarget {
  readonly #socket: RelaySocket;
  readonly #decoder: FrameDecoder;
  readonly #sink: FrameSink;
  #buf: Uint8Array;

  constructor(socket: RelaySocket, decoder: FrameDecoder, sink: FrameSink, buf: Uint8Array) {
    this.#socket = socket;
    this.#decoder = decoder;
    this.#sink = sink;
    this.#buf = buf;
  }

  /** Starts the next read. */
  next(): void {
    try {
      if (this.#socket.readInto) return this.#socket.readInto(this.#buf, this);
      this.#socket.read(this.#buf).then((n) => this.readDone(n), (err) => this.readFailed(err));
    } catch (err) {
      this.readFailed(err);
    }
  }

  /** The read put `n` bytes in the buffer (null: the peer closed). */
  readDone(n: number | null): void {
    const sink = this.#sink;
    let buf = this.#buf;
    if (sink.closed || n === null) {
      // The read has settled, so nothing writes into the buffer any more.
      releaseReadBuffer(buf);
      if (!sink.closed) sink.close("closed by peer");
      return;
    }
    sink.lastHeard = Date.now();
    try {
      for (const frame of this.#decoder.push(buf.subarray(0, n))) {
        if (sink.closed || sink.failing) break;
        sink.handleFrame(frame.type, frame.payload);
      }
    } catch (err) {
      return this.readFailed(err);
    }
    if (sink.closed) return releaseReadBuffer(buf);
    // Grow the read buffer for connections that fill it; go back to a small slot
    // after a small read, so that an idle connection (its last frame a ping) keeps
    // only that.
    if (n === buf.length && buf.length < READ_MAX) {
      releaseReadBuffer(buf);
      buf = new Uint8Array(buf.length * 2);
    } else if (buf.length > READ_MIN && n <= READ_MIN / 2) {
      buf = readSlots.take();
    }
    this.#buf = buf;
    this.next();
  }

  /** The read, or the handling of what it brought, failed. */
  readFailed(err: unknown): void {
    releaseReadBuffer(this.#buf);
    readFailed(this.#sink, err);
  }
}

/** Ends a connection whose read or frame handling threw, with the error that fits. */
function readFailed(sink: FrameSink, err: unknown): void {
  if (err instanceof FrameTooLargeError) {
    sink.fail("frame-too-large", `${err.message}; connection closed`);
  } else if (err instanceof ProtocolError) {
    sink.fail(err.code, err.message);
  } else if (sink.closed) {
    // Read failed because we closed the socket ourselves.
  } else if (err instanceof MalformedFrameError) {
    sink.fail("bad-frame", err.message);
  } else {
    sink.close(err instanceof Error ? err.message : String(err));
  }
}
