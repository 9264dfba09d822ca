/**
 * A TCP connection of the epoll backend: a {@linkcode RelaySocket} over a
 * nonblocking file descriptor. `read` calls recv at once when the socket was
 * last seen readable and otherwise waits for the reactor to say it is; `write`
 * calls send at once and waits for room only when the kernel's buffer is
 * full, so a slow reader still backs up into the relay's send queue, where
 * the slow-consumer limit applies. An idle socket holds its descriptor, its
 * address and the one pending read: no buffer and no promise of its own
 * beyond that.
 *
 * @module
 */

import { C, Errno, errno, errnoError, getIntOption, libc, setIntOption, size } from "./libc.ts";
import { type Pollable, reactor } from "./reactor.ts";
import { type ReadTarget, readThroughTarget, type RelaySocket } from "../socket.ts";

const SEND_FLAGS = C.MSG_DONTWAIT | C.MSG_NOSIGNAL;
const READABLE = 1;
const WRITABLE = 2;
const CLOSED = 4;
// The peer has shut its side or the connection failed: no further edge will come, so
// reads go on calling recv until it says so (0 bytes or the error).
const ENDED = 8;

/** A write waiting for the reactor. */
interface Waiter<T> {
  bytes: Uint8Array;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** One connected, nonblocking TCP socket watched by this thread's reactor. */
export class EpollConn implements RelaySocket, Pollable {
  /** The file descriptor (-1 once closed). */
  #fd: number;
  #state = READABLE | WRITABLE;
  readonly #host: string;
  readonly #port: number;
  /** The read waiting for the reactor: its buffer and whom to tell. */
  #readBuf: Uint8Array | null = null;
  #reader: ReadTarget | null = null;
  #writer: Waiter<number> | null = null;
  #onConnect: ((events: number) => void) | null = null;

  /**
   * Takes over the connected (or, with `connecting`, connecting) nonblocking descriptor
   * `fd`; a connecting one is watched for output until its connect has finished.
   */
  constructor(fd: number, remote: Deno.NetAddr, connecting = false) {
    this.#fd = fd;
    this.#host = remote.hostname;
    this.#port = remote.port;
    reactor().add(fd, this, connecting);
  }

  /** The file descriptor (-1 once closed), for socket options this class does not set. */
  get fd(): number {
    return this.#fd;
  }

  /** The peer's address. */
  get remoteAddr(): Deno.NetAddr {
    return { transport: "tcp", hostname: this.#host, port: this.#port };
  }

  /** Whether {@linkcode close} has been called. */
  get closed(): boolean {
    return (this.#state & CLOSED) !== 0;
  }

  /** Reads into `buf`: the bytes read, or null at the end of the stream. */
  read(buf: Uint8Array): Promise<number | null> {
    return readThroughTarget(this, buf);
  }

  /**
   * Reads into `buf` and tells `target` (never before returning): an idle socket's read
   * is then its buffer and its target, with no promise of its own.
   */
  readInto(buf: Uint8Array, target: ReadTarget): void {
    if (this.#state & CLOSED) throw new Deno.errors.BadResource("socket closed");
    if (this.#reader) throw new Deno.errors.Busy("a read is already pending");
    if (this.#state & READABLE) {
      const n = this.#recv(buf);
      if (n instanceof Error) return queueMicrotask(() => target.readFailed(n));
      if (n !== undefined) return queueMicrotask(() => target.readDone(n));
    }
    this.#readBuf = buf;
    this.#reader = target;
  }

  /** Writes some of `bytes` (at least one byte): how many were written. */
  write(bytes: Uint8Array): Promise<number> {
    if (this.#state & CLOSED) return Promise.reject(new Deno.errors.BrokenPipe("socket closed"));
    if (bytes.length === 0) return Promise.resolve(0);
    if (!this.#writer && this.#state & WRITABLE) {
      const n = this.#send(bytes);
      if (n !== undefined) return n instanceof Error ? Promise.reject(n) : Promise.resolve(n);
    }
    if (this.#writer) return Promise.reject(new Deno.errors.Busy("a write is already pending"));
    return new Promise((resolve, reject) => this.#writer = { bytes, resolve, reject });
  }

  /**
   * Sends what the kernel takes of `bytes` now, never waiting: the bytes sent, 0 when its
   * buffer is full or a write already waits (`write` is then the way on); throws when
   * the socket is closed or has failed. Lets a fan-out write synchronously.
   */
  trySend(bytes: Uint8Array): number {
    if (this.#state & CLOSED) throw new Deno.errors.BrokenPipe("socket closed");
    if (this.#writer || !(this.#state & WRITABLE) || bytes.length === 0) return 0;
    const n = this.#send(bytes);
    if (n instanceof Error) throw n;
    return n ?? 0;
  }

  /** Turns Nagle's algorithm off (`on`) or back on. */
  setNoDelay(on = true): void {
    if (this.#state & CLOSED) return;
    // As Deno's does on a connection the peer already reset: nothing to report.
    setIntOption(this.#fd, C.IPPROTO_TCP, C.TCP_NODELAY, on ? 1 : 0);
  }

  /** Closes the socket; a pending read rejects with `Interrupted`, as Deno's does. */
  close(): void {
    if (this.#state & CLOSED) throw new Deno.errors.BadResource("socket already closed");
    this.#state = CLOSED;
    reactor().remove(this.#fd);
    libc().close(this.#fd);
    this.#fd = -1;
    const reader = this.#reader, writer = this.#writer;
    this.#reader = this.#writer = null;
    this.#readBuf = null;
    // Told later, as a promise's rejection would be: the closer is still closing.
    if (reader) {
      queueMicrotask(() => reader.readFailed(new Deno.errors.Interrupted("operation canceled")));
    }
    writer?.reject(new Deno.errors.BrokenPipe("socket closed"));
    this.#onConnect?.(C.EPOLLERR);
  }

  /**
   * Stops watching the socket and hands its descriptor over, open (this object is then
   * closed): for another I/O backend to take a connection made here (lib/relay/uring/).
   */
  release(): number {
    if (this.#state & CLOSED) throw new Deno.errors.BadResource("socket closed");
    if (this.#reader || this.#writer || this.#onConnect) {
      throw new Deno.errors.Busy("a read, write or connect is pending");
    }
    const fd = this.#fd;
    reactor().remove(fd);
    this.#state = CLOSED;
    this.#fd = -1;
    return fd;
  }

  /** Resolves once a nonblocking connect has finished (used by lib/relay/epoll/connect.ts). */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#onConnect = (events) => {
        this.#onConnect = null;
        if (this.#state & CLOSED) return reject(new Deno.errors.Interrupted("connect canceled"));
        reactor().watchWrites(this.#fd, false);
        const code = getIntOption(this.#fd, C.SOL_SOCKET, C.SO_ERROR);
        if (code !== 0) reject(errnoError(code === -1 ? errno() : code, "connect"));
        else if (events & C.EPOLLOUT) resolve();
        else reject(new Deno.errors.ConnectionRefused("connection refused (connect)"));
      };
    });
  }

  /** Reactor callback: the socket may have become readable or writable (or failed). */
  onEvents(events: number): void {
    if (this.#onConnect) {
      if (!(events & (C.EPOLLOUT | C.EPOLLERR | C.EPOLLHUP))) return;
      this.#onConnect(events);
    }
    if (events & (C.EPOLLIN | C.EPOLLRDHUP | C.EPOLLHUP | C.EPOLLERR)) {
      this.#state |= READABLE;
      if (events & (C.EPOLLRDHUP | C.EPOLLHUP | C.EPOLLERR)) this.#state |= ENDED;
      const reader = this.#reader;
      if (reader) {
        const n = this.#recv(this.#readBuf!);
        if (n !== undefined) {
          this.#reader = null;
          this.#readBuf = null;
          if (n instanceof Error) reader.readFailed(n);
          else reader.readDone(n);
        }
      }
    }
    if (events & (C.EPOLLOUT | C.EPOLLHUP | C.EPOLLERR)) {
      this.#state |= WRITABLE;
      const writer = this.#writer;
      if (writer && !(this.#state & CLOSED)) {
        const n = this.#send(writer.bytes);
        if (n !== undefined) {
          this.#writer = null;
          if (this.#state & WRITABLE) reactor().watchWrites(this.#fd, false);
          if (n instanceof Error) writer.reject(n);
          else writer.resolve(n);
        }
      }
    }
  }

  /** recv into `buf`: bytes read, null at end of stream, undefined to wait, or the error. */
  #recv(buf: Uint8Array): number | null | undefined | Error {
    const n = libc().recv(this.#fd, buf, size(buf.length), 0);
    if (n > 0) {
      // A short read emptied the socket; the edge of the next arrival says when to try
      // again (after the peer's FIN none comes: recv then says 0 itself).
      if (n < buf.length && !(this.#state & ENDED)) this.#state &= ~READABLE;
      return n;
    }
    if (n === 0) return buf.length === 0 ? 0 : null;
    const code = errno();
    if (code === Errno.EAGAIN || code === Errno.EINTR) {
      this.#state &= ~READABLE;
      return undefined;
    }
    return errnoError(code, "recv");
  }

  /** send of `bytes`: bytes sent, undefined to wait for room, or the error. */
  #send(bytes: Uint8Array): number | undefined | Error {
    const n = libc().send(this.#fd, bytes, size(bytes.length), SEND_FLAGS);
    if (n >= 0) return n;
    const code = errno();
    if (code === Errno.EAGAIN || code === Errno.EINTR) {
      if (this.#state & WRITABLE) reactor().watchWrites(this.#fd, true);
      this.#state &= ~WRITABLE;
      return undefined;
    }
    return errnoError(code, "send");
  }
}
