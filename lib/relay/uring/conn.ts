/**
 * A TCP connection whose bytes move through this thread's io_uring: one
 * multishot receive stays armed for the connection's life, so the kernel
 * reads every arrival into a provided buffer and posts it with no system call
 * of ours, and a write is a send submitted and, on a socket with room,
 * completed within that one `io_uring_enter`. The relay's connections under
 * `--io uring`, and the voice bench's listeners: the same interface as the
 * epoll backend's connection, taken over from one after it connected.
 *
 * The kernel receives whether or not a read waits, so bytes that come meanwhile
 * are kept here without bound: it suits readers that always keep a read
 * waiting, as the relay's frame reader and the benchmarks' do.
 *
 * @module
 */

import { errnoError, libc } from "../epoll/libc.ts";
import type { EpollConn } from "../epoll/socket.ts";
import { type ReadTarget, readThroughTarget, type RelaySocket } from "../socket.ts";
import { CANCELED, NO_BUFFERS, U } from "./sys.ts";
import { CANCEL, SEND, type UringLoop, uringLoop, type UringOwner, userData } from "./loop.ts";

const MSG_NOSIGNAL = 0x4000;

/** A send in flight: its bytes (kept alive until it completes) and its promise. */
interface Sending {
  bytes: Uint8Array;
  resolve(n: number): void;
  reject(err: unknown): void;
}

/** One connected TCP socket read and written through io_uring. */
export class UringConn implements RelaySocket, UringOwner {
  readonly #loop: UringLoop;
  readonly #id: number;
  readonly #remote: Deno.NetAddr;
  #fd: number;
  /** Bytes received while no read waited. */
  #queued: Uint8Array[] = [];
  #readBuf: Uint8Array | null = null;
  #reader: ReadTarget | null = null;
  #sending: Sending | null = null;
  /** End of stream (null) or the receive's error, once the kernel said so. */
  #ended: null | Error | undefined = undefined;
  #armed = false;
  #closed = false;
  // Made once: a reader of 128-byte slots asks again for every slot of a larger frame.
  readonly #deliverSoon = () => this.#deliver();

  /** Takes over the socket of `conn` (connected) from the epoll reactor. */
  static adopt(conn: EpollConn): UringConn {
    const remote = conn.remoteAddr;
    return new UringConn(conn.release(), remote);
  }

  /** Reads and writes the connected socket `fd` through this thread's ring. */
  constructor(fd: number, remote: Deno.NetAddr) {
    this.#loop = uringLoop();
    this.#fd = fd;
    this.#remote = remote;
    this.#id = this.#loop.add(this);
    this.#arm();
    this.#loop.run();
  }

  /** The peer's address. */
  get remoteAddr(): Deno.NetAddr {
    return this.#remote;
  }

  #arm(): void {
    this.#armed = true;
    this.#loop.ring.prepRecvMultishot(this.#fd, this.#loop.buffers.group, userData(this.#id));
  }

  /** Reads into `buf`: the bytes read, or null at the end of the stream. */
  read(buf: Uint8Array): Promise<number | null> {
    return readThroughTarget(this, buf);
  }

  /** Reads into `buf` and tells `target` (never before returning). */
  readInto(buf: Uint8Array, target: ReadTarget): void {
    if (this.#closed) throw new Deno.errors.BadResource("socket closed");
    if (this.#reader) throw new Deno.errors.Busy("a read is already pending");
    this.#readBuf = buf;
    this.#reader = target;
    if (this.#queued.length > 0 || this.#ended !== undefined) queueMicrotask(this.#deliverSoon);
  }

  /** Hands the waiting read what has come (queued bytes, then the end or the error). */
  #deliver(): void {
    const reader = this.#reader, buf = this.#readBuf;
    if (!reader || !buf) return;
    if (this.#queued.length > 0) {
      let n = 0;
      while (this.#queued.length > 0 && n < buf.length) {
        const head = this.#queued[0];
        const take = Math.min(head.length, buf.length - n);
        buf.set(head.subarray(0, take), n);
        n += take;
        if (take === head.length) this.#queued.shift();
        else this.#queued[0] = head.subarray(take);
      }
      this.#reader = this.#readBuf = null;
      return reader.readDone(n);
    }
    if (this.#ended === undefined) return;
    this.#reader = this.#readBuf = null;
    if (this.#ended === null) reader.readDone(null);
    else reader.readFailed(this.#ended);
  }

  /** Ring callback: a receive or a send of this connection completed. */
  onCompletion(send: boolean, res: number, flags: number): void {
    if (send) return this.#sent(res);
    if (flags & U.CQE_F_BUFFER) {
      const bid = flags >>> U.CQE_BUFFER_SHIFT;
      if (res > 0 && !this.#closed) this.#received(this.#loop.buffers.bytes(bid, res));
      this.#loop.buffers.recycle(bid);
    }
    if (flags & U.CQE_F_MORE) return;
    this.#armed = false;
    if (this.#closed) {
      if (!this.#sending) this.#loop.remove(this.#id);
      return;
    }
    if (res > 0 || res === NO_BUFFERS) return this.#arm();
    if (res === CANCELED) return; // our own cancellation, before a close
    this.#ended = res === 0 ? null : errnoError(-res, "recv");
    this.#deliver();
  }

  #received(bytes: Uint8Array): void {
    const buf = this.#readBuf;
    if (this.#reader && buf && this.#queued.length === 0) {
      const take = Math.min(bytes.length, buf.length);
      buf.set(bytes.subarray(0, take));
      if (take < bytes.length) this.#queued.push(bytes.slice(take));
      const reader = this.#reader;
      this.#reader = this.#readBuf = null;
      return reader.readDone(take);
    }
    this.#queued.push(bytes.slice());
    this.#deliver();
  }

  /** Writes some of `bytes` (at least one byte): how many were written. */
  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BrokenPipe("socket closed"));
    if (this.#sending) return Promise.reject(new Deno.errors.Busy("a write is already pending"));
    if (bytes.length === 0) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.#sending = { bytes, resolve, reject };
      const addr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
      this.#loop.ring.prepSend(
        this.#fd,
        addr,
        bytes.length,
        MSG_NOSIGNAL,
        userData(this.#id) | SEND,
      );
      this.#loop.submitSoon();
    });
  }

  #sent(res: number): void {
    const sending = this.#sending;
    this.#sending = null;
    if (this.#closed && !this.#armed) this.#loop.remove(this.#id);
    if (!sending) return;
    if (res >= 0) sending.resolve(res);
    else sending.reject(errnoError(-res, "send"));
  }

  /** Closes the socket; a pending read rejects with `Interrupted`, as Deno's does. */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("socket already closed");
    this.#closed = true;
    const reader = this.#reader;
    this.#reader = this.#readBuf = null;
    this.#queued = [];
    // The armed receive holds the socket open in the kernel: cancel it, then close.
    if (this.#armed) this.#loop.ring.prepCancel(userData(this.#id), userData(this.#id) | CANCEL);
    this.#loop.run();
    libc().close(this.#fd);
    this.#fd = -1;
    if (!this.#armed && !this.#sending) this.#loop.remove(this.#id);
    if (reader) {
      queueMicrotask(() => reader.readFailed(new Deno.errors.Interrupted("operation canceled")));
    }
  }
}
