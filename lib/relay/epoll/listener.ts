/**
 * The epoll backend's listening socket, a {@linkcode RelayListener}: bound
 * with SO_REUSEADDR (and SO_REUSEPORT when the relay's workers share the
 * port), nonblocking, and on each event drained with accept4 until the kernel
 * has no more, each connection handed out as an {@linkcode EpollConn}.
 *
 * @module
 */

import { C, check, Errno, errno, libc, openSocket, setIntOption } from "./libc.ts";
import { type Pollable, reactor } from "./reactor.ts";
import { decodeSockAddr, encodeSockAddr, SOCKADDR_BYTES } from "./sockaddr.ts";
import { EpollConn } from "./socket.ts";
import type { RelayListener } from "../socket.ts";

const BACKLOG = 4096;
const RETRY_MS = 100;

/** A listening TCP socket over epoll. */
export class EpollListener implements RelayListener, Pollable {
  readonly #fd: number;
  /** The bound address (port 0 resolved to the port the system picked). */
  readonly addr: Deno.NetAddr;
  readonly #ready: EpollConn[] = [];
  readonly #peer = new Uint8Array(SOCKADDR_BYTES);
  readonly #peerLen = new Uint32Array(1);
  #wake: (() => void) | null = null;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  private constructor(fd: number, addr: Deno.NetAddr) {
    this.#fd = fd;
    this.addr = addr;
    reactor().add(fd, this);
  }

  /**
   * Listens on `host:port` (a numeric address; port 0 picks one). Throws the
   * `Deno.errors` class Deno.listen would (AddrInUse, PermissionDenied…).
   */
  static open(host: string, port: number, reusePort = false): EpollListener {
    const sa = encodeSockAddr(host, port);
    const c = libc();
    const fd = openSocket(sa.family);
    try {
      check(setIntOption(fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1), "setsockopt");
      if (reusePort) check(setIntOption(fd, C.SOL_SOCKET, C.SO_REUSEPORT, 1), "setsockopt");
      check(c.bind(fd, sa.bytes, sa.bytes.length), "bind");
      check(c.listen(fd, BACKLOG), "listen");
      const name = new Uint8Array(SOCKADDR_BYTES);
      const len = new Uint32Array([SOCKADDR_BYTES]);
      check(c.getsockname(fd, name, new Uint8Array(len.buffer)), "getsockname");
      return new EpollListener(fd, decodeSockAddr(name));
    } catch (err) {
      c.close(fd);
      throw err;
    }
  }

  /** Stops accepting: the iteration ends and the port is released. */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("listener already closed");
    this.#closed = true;
    clearTimeout(this.#retry);
    reactor().remove(this.#fd);
    libc().close(this.#fd);
    for (const conn of this.#ready.splice(0)) conn.close();
    this.#wake?.();
  }

  /** Reactor callback: connections may be waiting. */
  onEvents(): void {
    this.#acceptAll();
    if (this.#ready.length) this.#wake?.();
  }

  #acceptAll(): void {
    const c = libc();
    const flags = C.SOCK_NONBLOCK | C.SOCK_CLOEXEC;
    const lenBytes = new Uint8Array(this.#peerLen.buffer);
    while (!this.#closed) {
      this.#peerLen[0] = SOCKADDR_BYTES;
      const fd = c.accept4(this.#fd, this.#peer, lenBytes, flags);
      if (fd >= 0) {
        try {
          this.#ready.push(new EpollConn(fd, decodeSockAddr(this.#peer)));
        } catch {
          // epoll refused it (out of memory or of watches): drop this one connection, as a
          // full backlog would, rather than fail the listener.
          c.close(fd);
        }
        continue;
      }
      const code = errno();
      if (code === Errno.EAGAIN) return;
      // A connection reset before it was accepted is simply gone; take the next.
      if (code === Errno.EINTR || code === Errno.ECONNABORTED) continue;
      // Out of descriptors or memory: the pending connections raise no new edge, so
      // look again in a moment rather than wait for one more to arrive.
      this.#retry ??= setTimeout(() => {
        this.#retry = undefined;
        this.onEvents();
      }, RETRY_MS);
      return;
    }
  }

  /** The accepted connections, until {@linkcode close}. */
  async *[Symbol.asyncIterator](): AsyncIterator<EpollConn> {
    // Connections may have queued before anyone iterated (the first event came early).
    this.#acceptAll();
    while (true) {
      while (this.#ready.length) yield this.#ready.shift()!;
      if (this.#closed) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
  }
}
