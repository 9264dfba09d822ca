/**
 * A WebSocket seen as a byte stream with `read`, `write` and `close`, like a
 * `Deno.Conn`: binary messages carry the same stream of frames as a TCP
 * connection (a message may hold several frames, or part of one). The browser
 * client wraps its end in it, so the client's link code (lib/client/link.ts)
 * runs unchanged; tests use it as a well-behaved WebSocket member. (The
 * relay's end is lib/relay/ws_socket.ts, which reads frames as they arrive.)
 *
 * @module
 */

import { ChunkQueue } from "./chunk_queue.ts";
import { MalformedFrameError } from "./framing.ts";

// A WebSocket cannot stop its peer from sending (no TCP backpressure reaches
// it), so a peer that keeps this much unread input is flooding: cut it off.
const DEFAULT_READ_LIMIT = 1024 * 1024;
// A write completes only once the socket's own buffer is below this.
const WRITE_HIGH = 64 * 1024;
// How often a write waiting for the buffer to drain looks again (WebSocket has no drain event).
const DRAIN_POLL_MS = 5;

/** The address of a WebSocket's peer. */
export interface PeerAddr {
  /** "tcp": a WebSocket runs over TCP. */
  transport: "tcp" | "udp";
  /** IP address. */
  hostname: string;
  /** Port. */
  port: number;
}

/** One WebSocket connection as a byte stream. */
export class WebSocketConn {
  /** The peer's address. */
  readonly remoteAddr: PeerAddr;
  readonly #ws: WebSocket;
  readonly #readLimit: number;
  readonly #input = new ChunkQueue();
  #error: Error | null = null;
  #closed = false;

  /**
   * Wraps `ws` (not necessarily open yet) to the peer at `remoteAddr`;
   * more than `readLimit` bytes of unread input end the stream with an error.
   */
  constructor(ws: WebSocket, remoteAddr: PeerAddr, readLimit = DEFAULT_READ_LIMIT) {
    this.#ws = ws;
    this.#readLimit = readLimit;
    this.remoteAddr = {
      transport: "tcp",
      hostname: remoteAddr.hostname.replace(/^::ffff:(?=\d+\.)/, ""),
      port: remoteAddr.port,
    };
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e: MessageEvent) => {
      if (this.#input.ended) return;
      if (typeof e.data === "string") {
        return this.#end(new MalformedFrameError("a text message where frames go; send binary"));
      }
      this.#input.push(new Uint8Array(e.data as ArrayBuffer));
      if (this.#input.buffered > this.#readLimit) {
        return this.#end(new RangeError("input flood: too much unread data"));
      }
    };
    ws.onclose = () => this.#end(null);
    ws.onerror = () => this.#end(null);
  }

  /** The HTTP upgrade finished before the socket was made: nothing is in the way of a reply. */
  get handshaking(): boolean {
    return false;
  }

  /** Reads into `buf`; null at the end of the stream. */
  read(buf: Uint8Array): Promise<number | null> {
    return this.#input.read(buf);
  }

  /** Sends `bytes` as one binary message; resolves once the socket's buffer has room again. */
  async write(bytes: Uint8Array): Promise<number> {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) {
      throw this.#error ?? new Error("connection closed");
    }
    // A copy: the send queue reuses its buffer once the write resolves.
    this.#ws.send(bytes.slice());
    // Wait for the socket to drain, so a slow reader fills the relay's queue and
    // is given up as a slow consumer instead of buffering without bound here.
    while (this.#ws.bufferedAmount > WRITE_HIGH) {
      if (this.#ws.readyState !== WebSocket.OPEN) {
        throw new Error("connection closed");
      }
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
    return bytes.length;
  }

  /** Closes the connection (normal closure). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.close();
    try {
      this.#ws.close(1000);
    } catch {
      // Not open yet or already closing.
    }
  }

  /** No more input: after an error, what is still unread is dropped and the error is read next. */
  #end(err: Error | null): void {
    if (err && !this.#error) this.#error = err;
    this.#input.end(err, true);
  }
}

/** Opens a WebSocket to `url` and resolves once it is open; rejects when it cannot be. */
export function openWebSocket(url: string, readLimit?: number): Promise<WebSocketConn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const u = new URL(url);
    const conn = new WebSocketConn(
      ws,
      { transport: "tcp", hostname: u.hostname, port: Number(u.port) },
      readLimit,
    );
    const failed = () => reject(new Error(`cannot open a WebSocket to ${u.host}`));
    ws.addEventListener("error", failed, { once: true });
    ws.addEventListener("open", () => {
      ws.removeEventListener("error", failed);
      resolve(conn);
    }, { once: true });
  });
}
