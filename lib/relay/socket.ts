/**
 * What the relay needs of a client connection and of its listener, so that a
 * plain `Deno.Conn` and a TLS connection (lib/relay/tls_listener.ts) serve
 * alike.
 *
 * @module
 */

import type { Duplex } from "node:stream";
import type net from "node:net";

/** Bytes the kernel-side socket may hold before a write waits for it to drain. */
export const WRITE_HIGH = 64 * 1024;

/**
 * Writes `bytes` to `stream` (a TLS or WebSocket layer over the TCP socket `raw`)
 * and resolves once they reached `raw` and `raw` holds no more than
 * {@linkcode WRITE_HIGH}. `raw` buffers without bound, so waiting for it to drain
 * is what lets a slow reader fill the relay's own send queue, where the
 * slow-consumer limit applies.
 */
export function writeAndDrain(stream: Duplex, raw: net.Socket, bytes: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    stream.write(bytes, (err) => {
      if (err) return reject(err);
      if (raw.writableLength <= WRITE_HIGH) return resolve(bytes.length);
      const done = () => {
        raw.off("drain", done).off("close", done);
        if (raw.destroyed) reject(new Deno.errors.BrokenPipe("connection closed"));
        else resolve(bytes.length);
      };
      raw.on("drain", done).on("close", done);
    });
  });
}

/** Told how a {@linkcode RelaySocket.readInto} ended. */
export interface ReadTarget {
  /** `n` bytes were read into the buffer, or null at the end of the stream. */
  readDone(n: number | null): void;
  /** The read failed (or the socket was closed while it waited). */
  readFailed(err: unknown): void;
}

/**
 * `read` for a socket whose reads are `readInto` a target: the bytes read, or null at
 * the end of the stream (the epoll and io_uring backends' sockets share it).
 */
export function readThroughTarget(
  socket: { readInto(buf: Uint8Array, target: ReadTarget): void },
  buf: Uint8Array,
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    socket.readInto(buf, { readDone: resolve, readFailed: reject });
  });
}

/** One accepted connection: bytes in, bytes out, and the peer's address. */
export type RelaySocket = Pick<Deno.Conn, "read" | "write" | "close" | "remoteAddr"> & {
  /** True while a TLS handshake is under way: nothing can be sent to the peer yet. */
  readonly handshaking?: boolean;
  /**
   * Reads into `buf` like `read`, telling `target` rather than settling a promise, for
   * sockets that can: an idle connection then waits with no promise, no resolving
   * functions and no reactions of its own (the epoll backend; about 0.5 KiB each).
   * Never tells `target` before returning.
   */
  readInto?(buf: Uint8Array, target: ReadTarget): void;
};

/** Accepts connections until closed. */
export interface RelayListener extends AsyncIterable<RelaySocket> {
  /** The bound address. */
  readonly addr: Deno.Addr;
  /** Stops accepting. */
  close(): void;
}
