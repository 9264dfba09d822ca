/**
 * An io_uring instance over Linux's raw system calls, through Deno's FFI: the
 * submission and completion rings mapped into JavaScript, so that a batch of
 * socket operations costs one `io_uring_enter` (or none, for a multishot
 * receive that keeps completing) instead of a system call each. On this kind
 * of virtual machine a bare system call costs ~1.1 µs (bench/analysis.md), so
 * a fan-out or a load generator that makes a hundred thousand of them a
 * second spends a tenth of a core on the boundary alone.
 *
 * The kernel writes completions while JavaScript reads them, so the shared
 * head and tail indices are read and written with `Atomics` (a full barrier
 * for the JIT, as the kernel's acquire/release pairs expect). Linux only;
 * {@linkcode uringAvailable} says whether this machine and process may use it
 * (a container's seccomp profile often forbids it).
 *
 * @module
 */

import { libc } from "../epoll/libc.ts";
import {
  errno,
  ETIME,
  map,
  sys,
  SYS_ENTER,
  SYS_REGISTER,
  SYS_SETUP,
  U,
  UringError,
} from "./sys.ts";

const SQE_BYTES = 64;
const CQE_BYTES = 16;

/** What one completion said: whose it was, its result, and its flags. */
export type Completion = (userData: number, res: number, flags: number) => void;

/** One io_uring: submission slots to fill, then {@linkcode submit}, then {@linkcode reap}. */
export class Ring {
  /** The ring's file descriptor. */
  readonly fd: number;
  readonly #ringPtr: Deno.PointerObject;
  readonly #ringLen: number;
  readonly #sqesPtr: Deno.PointerObject;
  readonly #sqesLen: number;
  readonly #u32: Uint32Array;
  readonly #sqes: DataView;
  readonly #sqeBytes: Uint8Array;
  readonly #cqes: DataView;
  readonly #sqHead: number;
  readonly #sqTail: number;
  readonly #sqMask: number;
  readonly #sqEntries: number;
  readonly #cqHead: number;
  readonly #cqTail: number;
  readonly #cqMask: number;
  readonly #cqesAt: number;
  // struct io_uring_getevents_arg with a zero timespec: collect without waiting.
  readonly #noWaitArg = new BigUint64Array(5);
  readonly #noWait: Deno.PointerValue;
  readonly #cqEntries: number;
  /** Slots filled since the last submit. */
  #pending = 0;
  #closed = false;

  /**
   * Sets up a ring of `entries` submission slots and `cqEntries` completion slots, with
   * setup `flags` besides CQSIZE.
   */
  constructor(entries: number, cqEntries = entries * 2, flags = 0) {
    const params = new Uint8Array(120);
    const pv = new DataView(params.buffer);
    pv.setUint32(8, U.SETUP_CQSIZE | flags, true);
    pv.setUint32(4, cqEntries, true);
    const fd = sys().uring_setup(SYS_SETUP, entries, params);
    if (fd < 0) throw new UringError("io_uring_setup", errno());
    this.fd = fd;
    try {
      if (!(pv.getUint32(20, true) & U.FEAT_SINGLE_MMAP)) {
        throw new UringError("io_uring_setup (no single mmap)", 95);
      }
      const sq = (i: number) => pv.getUint32(40 + i * 4, true);
      const cq = (i: number) => pv.getUint32(80 + i * 4, true);
      const sqEntries = pv.getUint32(0, true), cqCount = pv.getUint32(4, true);
      // sq_off: head, tail, ring_mask, ring_entries, flags, dropped, array; cq_off: head,
      // tail, ring_mask, ring_entries, overflow, cqes.
      const sqLen = sq(6) + sqEntries * 4, cqLen = cq(5) + cqCount * CQE_BYTES;
      this.#ringLen = Math.max(sqLen, cqLen);
      this.#ringPtr = map(this.#ringLen, fd, U.OFF_SQ_RING, "mmap (rings)");
      this.#sqesLen = sqEntries * SQE_BYTES;
      this.#sqesPtr = map(this.#sqesLen, fd, U.OFF_SQES, "mmap (sqes)");
      const ring = Deno.UnsafePointerView.getArrayBuffer(this.#ringPtr, this.#ringLen);
      const sqes = Deno.UnsafePointerView.getArrayBuffer(this.#sqesPtr, this.#sqesLen);
      this.#u32 = new Uint32Array(ring);
      this.#sqes = new DataView(sqes);
      this.#sqeBytes = new Uint8Array(sqes);
      this.#cqes = new DataView(ring);
      this.#sqHead = sq(0) / 4;
      this.#sqTail = sq(1) / 4;
      this.#sqMask = this.#u32[sq(2) / 4];
      this.#sqEntries = sqEntries;
      this.#cqHead = cq(0) / 4;
      this.#cqTail = cq(1) / 4;
      this.#cqMask = this.#u32[cq(2) / 4];
      this.#cqesAt = cq(5);
      this.#cqEntries = cqCount;
      // arg: sigmask 0, sigmask_sz 0, min_wait_usec 0, ts -> the timespec {0, 0} after it.
      this.#noWait = Deno.UnsafePointer.of(this.#noWaitArg);
      this.#noWaitArg[2] = BigInt(Deno.UnsafePointer.value(this.#noWait)) + 24n;
      // Slot i of the submission array always names SQE i: slots are used in order.
      const array = sq(6) / 4;
      for (let i = 0; i < sqEntries; i++) this.#u32[array + i] = i;
    } catch (err) {
      libc().close(fd);
      throw err;
    }
  }

  /** Submission slots free now (filled ones wait for {@linkcode submit}). */
  get free(): number {
    const head = Atomics.load(this.#u32, this.#sqHead);
    return this.#sqEntries - ((this.#u32[this.#sqTail] - head) >>> 0);
  }

  /** Takes the next submission slot, zeroed: its byte offset for the `prep` calls. */
  #slot(): number {
    if (this.free === 0) this.submit();
    const tail = this.#u32[this.#sqTail];
    const at = (tail & this.#sqMask) * SQE_BYTES;
    this.#sqeBytes.fill(0, at, at + SQE_BYTES);
    Atomics.store(this.#u32, this.#sqTail, (tail + 1) >>> 0);
    this.#pending++;
    return at;
  }

  #common(at: number, op: number, fd: number, userData: number): void {
    const v = this.#sqes;
    v.setUint8(at, op);
    v.setInt32(at + 4, fd, true);
    v.setUint32(at + 32, userData >>> 0, true);
  }

  /**
   * Queues a send of `len` bytes at address `addr` on socket `fd`. The bytes must stay
   * where they are until its completion (res: bytes sent, or -errno).
   */
  prepSend(fd: number, addr: bigint, len: number, msgFlags: number, userData: number): void {
    const at = this.#slot();
    this.#common(at, U.OP_SEND, fd, userData);
    this.#sqes.setBigUint64(at + 16, addr, true);
    this.#sqes.setUint32(at + 24, len, true);
    this.#sqes.setUint32(at + 28, msgFlags, true);
  }

  /**
   * Queues a multishot receive on socket `fd` into buffers of group `group`: a completion
   * per arrival (flag {@linkcode U.CQE_F_BUFFER}, the buffer id in the high 16 bits), until
   * one without {@linkcode U.CQE_F_MORE} ends it (end of stream, an error, or no buffer).
   */
  prepRecvMultishot(fd: number, group: number, userData: number): void {
    const at = this.#slot();
    this.#common(at, U.OP_RECV, fd, userData);
    this.#sqes.setUint8(at + 1, U.IOSQE_BUFFER_SELECT);
    this.#sqes.setUint16(at + 2, U.RECV_MULTISHOT, true);
    this.#sqes.setUint16(at + 40, group, true);
  }

  /** Queues the cancellation of the operation whose user data is `target`. */
  prepCancel(target: number, userData: number): void {
    const at = this.#slot();
    this.#common(at, U.OP_ASYNC_CANCEL, -1, userData);
    this.#sqes.setBigUint64(at + 8, 0n, true);
    this.#sqes.setBigUint64(at + 16, BigInt(target >>> 0), true);
  }

  /**
   * Submits the filled slots: the number submitted. A socket operation that can proceed
   * completes during this call. With `getEvents` the kernel also flushes completions that
   * overflowed the ring and runs pending task work; it waits for none (no completion is
   * asked for, so it returns before setting up a wait).
   */
  submit(getEvents = false): number {
    if (this.#pending === 0 && !getEvents) return 0;
    const flags = getEvents ? U.ENTER_GETEVENTS : 0;
    const n = sys().uring_enter(SYS_ENTER, this.fd, this.#pending, 0, flags, null, 0n);
    if (n < 0) throw new UringError("io_uring_enter", errno());
    this.#pending -= n;
    return n;
  }

  /**
   * Submits the filled slots and, on a ring set up with DEFER_TASKRUN, runs all the work
   * it deferred (receives whose data came, sends that found room), posting their
   * completions, without waiting. The kernel runs at most a few (20) deferred items
   * per call unless more completions are asked for, and those it leaves signal nothing
   * more: so this asks for a whole completion ring's worth with a zero timeout, for
   * which "timed out" is the normal answer.
   */
  submitAndRun(): void {
    const flags = U.ENTER_GETEVENTS | U.ENTER_EXT_ARG;
    const n = sys().uring_enter(
      SYS_ENTER,
      this.fd,
      this.#pending,
      this.#cqEntries,
      flags,
      this.#noWait,
      24n,
    );
    if (n >= 0) this.#pending -= n;
    else if (errno() === ETIME) this.#pending = 0;
    else throw new UringError("io_uring_enter", errno());
  }

  /**
   * Calls `each` for every completion posted so far, freeing their slots: how many. Not
   * reentrant: `each` must not reap (it may queue and submit).
   */
  reap(each: Completion): number {
    const u32 = this.#u32, v = this.#cqes;
    let head = u32[this.#cqHead];
    const tail = Atomics.load(u32, this.#cqTail);
    let n = 0;
    while (head !== tail) {
      const at = this.#cqesAt + (head & this.#cqMask) * CQE_BYTES;
      const userData = v.getUint32(at, true);
      const res = v.getInt32(at + 8, true);
      const flags = v.getUint32(at + 12, true);
      head = (head + 1) >>> 0;
      // Freed before the callback, which may submit and so let the kernel post more.
      Atomics.store(u32, this.#cqHead, head);
      each(userData, res, flags);
      n++;
    }
    return n;
  }

  /** Has the kernel signal `eventFd` when completions (or deferred work) wait. */
  registerEventFd(eventFd: number): void {
    const arg = new Uint8Array(new Int32Array([eventFd]).buffer);
    const r = sys().uring_register(SYS_REGISTER, this.fd, U.REGISTER_EVENTFD, arg, 1);
    if (r < 0) throw new UringError("io_uring_register (eventfd)", errno());
  }

  /** Registers a ring of provided buffers (see {@linkcode BufferRing}). */
  registerBufferRing(addr: bigint, entries: number, group: number): void {
    // struct io_uring_buf_reg: ring_addr u64, ring_entries u32, bgid u16, flags u16, resv.
    const reg = new Uint8Array(40);
    const v = new DataView(reg.buffer);
    v.setBigUint64(0, addr, true);
    v.setUint32(8, entries, true);
    v.setUint16(12, group, true);
    const r = sys().uring_register(SYS_REGISTER, this.fd, U.REGISTER_PBUF_RING, reg, 1);
    if (r < 0) throw new UringError("io_uring_register (buffer ring)", errno());
  }

  /** Unmaps the rings and closes the ring (its pending operations are cancelled). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    sys().munmap(this.#sqesPtr, BigInt(this.#sqesLen));
    sys().munmap(this.#ringPtr, BigInt(this.#ringLen));
    libc().close(this.fd);
  }
}

/** Whether io_uring can be set up here: null if so, else why not (for skips and messages). */
export function uringAvailable(): string | null {
  if (Deno.build.os !== "linux") return "io_uring is Linux only";
  try {
    new Ring(4).close();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
