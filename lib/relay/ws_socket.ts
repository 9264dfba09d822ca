/**
 * The relay's end of a WebSocket (RFC 6455), read as a byte stream: each
 * binary frame's payload is unmasked and handed on as it arrives, so a
 * message is never gathered whole (a browser member's frames are the same
 * stream of relay frames as over TCP, and the relay's own frame limits apply
 * to it). Deno's built-in server WebSocket was not used because it gathers a
 * message of up to 64 MiB before delivering any of it, and because its
 * `close()` waits without end for the peer's close frame, so a peer that never
 * answers kept its TCP connection open after the relay had dropped it. Here
 * unread input stops the socket (TCP backpressure), and a close is followed by
 * a hard close after a short grace.
 *
 * @module
 */

import type net from "node:net";
import { createHash } from "node:crypto";
import { ChunkQueue } from "../chunk_queue.ts";
import { MalformedFrameError } from "../framing.ts";
import { type RelaySocket, WRITE_HIGH, writeAndDrain } from "./socket.ts";

// Reading stops (TCP backpressure) while this much input waits unread.
const READ_HIGH = 256 * 1024;
// After our close frame, a peer that does not close within this is cut off.
const CLOSE_GRACE_MS = 1000;
// Pongs are not owed to a peer that does not read what it is sent.
const PONG_BACKLOG = 4 * WRITE_HIGH;

const enum Op {
  Continuation = 0,
  Text = 1,
  Binary = 2,
  Close = 8,
  Ping = 9,
  Pong = 10,
}

/** Close codes (RFC 6455 §7.4.1). */
const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL = 1002;

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** The `Sec-WebSocket-Accept` answer to a `Sec-WebSocket-Key`. */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** Whether `key` is a valid `Sec-WebSocket-Key` (16 random bytes in base64). */
export function validKey(key: string | undefined): key is string {
  return key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

/** One frame header as read off the wire. */
interface Header {
  fin: boolean;
  op: Op;
  length: number;
  mask: Uint8Array;
}

/** A server-side WebSocket over an upgraded connection, as a relay socket. */
export class WsSocket implements RelaySocket {
  readonly remoteAddr: Deno.NetAddr;
  /** The connection frames are read from and written to (TLS or plain). */
  readonly #io: net.Socket;
  /** The TCP socket under it (its buffer is what a write waits on). */
  readonly #raw: net.Socket;
  readonly #input = new ChunkQueue();
  /** Header bytes received so far (at most 14). */
  #head: Uint8Array = new Uint8Array(0);
  #frame: Header | null = null;
  #left = 0;
  #maskAt = 0;
  /** A control frame's payload, gathered (at most 125 bytes). */
  #control: Uint8Array[] = [];
  /** The opcode of the message under way (text or binary), while it is fragmented. */
  #message: Op | null = null;
  #broken = false;
  #closeSent = false;
  #closed = false;
  #closeCode = CLOSE_NORMAL;

  /**
   * Takes over `io` right after the 101 response; `early` holds bytes that
   * came with the request head. `raw` is the TCP socket under `io`.
   */
  constructor(io: net.Socket, raw: net.Socket, early: Uint8Array) {
    this.#io = io;
    this.#raw = raw;
    this.remoteAddr = {
      transport: "tcp",
      hostname: (raw.remoteAddress ?? "unknown").replace(/^::ffff:(?=\d+\.)/, ""),
      port: raw.remotePort ?? 0,
    };
    io.on("data", (d: Uint8Array) => this.#feed(d));
    io.on("end", () => this.#input.end(null));
    io.on("close", () => this.#input.end(null));
    io.on("error", (err: Error) => this.#input.end(err));
    if (early.length) this.#feed(early);
    io.resume();
  }

  /** The handshake is over before this socket exists. */
  get handshaking(): boolean {
    return false;
  }

  /** Reads relay frame bytes into `buf`; null at the end of the stream. */
  async read(buf: Uint8Array): Promise<number | null> {
    const n = await this.#input.read(buf);
    if (!this.#broken && this.#input.buffered <= READ_HIGH / 2 && this.#io.isPaused()) {
      this.#io.resume();
    }
    return n;
  }

  /** Sends `bytes` as one binary frame; resolves once the socket's buffer has room again. */
  write(bytes: Uint8Array): Promise<number> {
    if (this.#closeSent || this.#io.destroyed) {
      return Promise.reject(new Deno.errors.BrokenPipe("connection closed"));
    }
    return writeAndDrain(this.#io, this.#raw, frameOf(Op.Binary, bytes))
      .then(() => bytes.length);
  }

  /** Sends a close frame, then closes; a peer that does not close too is cut off. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.close();
    this.#sendClose(this.#closeCode);
    this.#io.end();
    const timer = setTimeout(() => this.#destroy(), CLOSE_GRACE_MS);
    this.#raw.once("close", () => clearTimeout(timer));
  }

  #destroy(): void {
    this.#io.destroy();
    this.#raw.destroy();
  }

  #sendClose(code: number): void {
    if (this.#closeSent || this.#io.destroyed) return;
    this.#closeSent = true;
    const body = new Uint8Array(2);
    new DataView(body.buffer).setUint16(0, code);
    this.#io.write(frameOf(Op.Close, body));
  }

  /** Stops reading for good: `err` is what the relay reads next. */
  #fail(err: Error, code = CLOSE_PROTOCOL): void {
    this.#broken = true;
    this.#closeCode = code;
    this.#io.pause();
    this.#input.end(err, true);
  }

  #feed(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.#broken) {
      if (!this.#frame) {
        const used = this.#readHeader(chunk.subarray(at));
        if (used < 0) return;
        at += used;
        if (!this.#frame) continue;
      }
      const f: Header = this.#frame!;
      const n = Math.min(this.#left, chunk.length - at);
      const part = chunk.slice(at, at + n);
      for (let i = 0; i < n; i++) part[i] ^= f.mask[(this.#maskAt + i) & 3];
      this.#maskAt += n;
      this.#left -= n;
      at += n;
      if (f.op >= Op.Close) this.#control.push(part);
      else if (n > 0) this.#input.push(part);
      if (this.#left === 0) this.#endFrame(f);
    }
    if (this.#input.buffered > READ_HIGH) this.#io.pause();
  }

  /** Takes header bytes from `bytes`; returns how many it used, or -1 after a failure. */
  #readHeader(bytes: Uint8Array): number {
    const have = this.#head.length;
    const head = new Uint8Array(have + Math.min(bytes.length, 14 - have));
    head.set(this.#head);
    head.set(bytes.subarray(0, head.length - have), have);
    if (head.length < 2) return this.#keep(head, bytes.length);
    const len7 = head[1] & 0x7f;
    const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + 4;
    if (head.length < size) return this.#keep(head, bytes.length);
    const fin = (head[0] & 0x80) !== 0;
    const op = head[0] & 0x0f;
    const view = new DataView(head.buffer);
    let length = len7;
    if (len7 === 126) length = view.getUint16(2);
    else if (len7 === 127) {
      const big = view.getBigUint64(2);
      length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(big);
    }
    const problem = (head[0] & 0x70) !== 0
      ? "reserved bits set"
      : (head[1] & 0x80) === 0
      ? "an unmasked frame from the client"
      : ![0, 1, 2, 8, 9, 10].includes(op)
      ? `unknown opcode ${op}`
      : op >= Op.Close && (!fin || length > 125)
      ? "a fragmented or oversized control frame"
      : op === Op.Continuation && this.#message === null
      ? "a continuation with no message under way"
      : (op === Op.Text || op === Op.Binary) && this.#message !== null
      ? "a new message inside a fragmented one"
      : !Number.isFinite(length)
      ? "a frame longer than 2^53 bytes"
      : null;
    if (problem) {
      this.#fail(new Deno.errors.InvalidData(`WebSocket protocol error: ${problem}`));
      return -1;
    }
    const message = op === Op.Continuation ? this.#message! : op;
    if (message === Op.Text) {
      this.#fail(new MalformedFrameError("a text message where frames go; send binary"), 1003);
      return -1;
    }
    if (op === Op.Binary) this.#message = fin ? null : Op.Binary;
    else if (op === Op.Continuation && fin) this.#message = null;
    this.#frame = { fin, op, length, mask: head.slice(size - 4, size) };
    this.#left = length;
    this.#maskAt = 0;
    this.#head = new Uint8Array(0);
    if (length === 0) this.#endFrame(this.#frame);
    return size - have;
  }

  #keep(head: Uint8Array, used: number): number {
    this.#head = head;
    return used;
  }

  #endFrame(f: Header): void {
    this.#frame = null;
    if (f.op < Op.Close) return;
    const body = new Uint8Array(this.#control.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of this.#control) {
      body.set(c, off);
      off += c.length;
    }
    this.#control = [];
    if (f.op === Op.Ping) {
      if (!this.#closeSent && this.#raw.writableLength < PONG_BACKLOG) {
        this.#io.write(frameOf(Op.Pong, body));
      }
    } else if (f.op === Op.Close) {
      // The peer is done: answer its close and end the stream for the relay.
      this.#sendClose(CLOSE_NORMAL);
      this.#broken = true;
      this.#input.end(null);
    }
  }
}

/** One unmasked, unfragmented frame (server to client). */
function frameOf(op: Op, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const size = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(size + n);
  out[0] = 0x80 | op;
  const view = new DataView(out.buffer);
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    view.setUint16(2, n);
  } else {
    out[1] = 127;
    view.setBigUint64(2, BigInt(n));
  }
  out.set(payload, size);
  return out;
}
