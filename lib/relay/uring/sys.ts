/**
 * The system calls under lib/relay/uring/: io_uring's three (through libc's
 * `syscall`, as no libc wraps them), mmap and munmap (the rest, such as close,
 * are the epoll backend's libc bindings), and the ABI's numbers
 * (include/uapi/linux/io_uring.h). Opened on first use, like the epoll
 * backend's libc.
 *
 * @module
 */

import { errno, errnoError } from "../epoll/libc.ts";

// io_uring's system call numbers are the same on every architecture (the unified table).
/** io_uring_setup. */
export const SYS_SETUP = 425n;
/** io_uring_enter. */
export const SYS_ENTER = 426n;
/** io_uring_register. */
export const SYS_REGISTER = 427n;

const SYMBOLS = {
  uring_setup: { name: "syscall", parameters: ["i64", "u32", "buffer"], result: "i32" },
  uring_enter: {
    name: "syscall",
    parameters: ["i64", "i32", "u32", "u32", "u32", "pointer", "usize"],
    result: "i32",
  },
  uring_register: {
    name: "syscall",
    parameters: ["i64", "i32", "u32", "buffer", "u32"],
    result: "i32",
  },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound symbols. */
export type UringSys = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: UringSys | null = null;
/** libc's symbols for the ring, opened on first use. */
export function sys(): UringSys {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  return lib;
}

/** Opcodes and flags of the io_uring ABI used here (include/uapi/linux/io_uring.h). */
export const U = {
  OP_ASYNC_CANCEL: 14,
  OP_SEND: 26,
  OP_RECV: 27,
  IOSQE_BUFFER_SELECT: 1 << 5,
  RECV_MULTISHOT: 1 << 1,
  CQE_F_BUFFER: 1 << 0,
  CQE_F_MORE: 1 << 1,
  CQE_BUFFER_SHIFT: 16,
  ENTER_GETEVENTS: 1 << 0,
  ENTER_EXT_ARG: 1 << 3,
  SETUP_CQSIZE: 1 << 3,
  SETUP_COOP_TASKRUN: 1 << 8,
  SETUP_SINGLE_ISSUER: 1 << 12,
  SETUP_DEFER_TASKRUN: 1 << 13,
  REGISTER_EVENTFD: 4,
  REGISTER_PBUF_RING: 22,
  FEAT_SINGLE_MMAP: 1 << 0,
  OFF_SQ_RING: 0n,
  OFF_SQES: 0x10000000n,
} as const;

const PROT_RW = 0x1 | 0x2;
const MAP_SHARED_POPULATE = 0x01 | 0x8000;
const MAP_PRIVATE_ANON = 0x02 | 0x20;
const ENOBUFS = 105;

/** A system call of the ring failed: `errno` is the kernel's code. */
export class UringError extends Error {
  /** The kernel's error number. */
  readonly errno: number;
  /** Made from the failed `call`, errno `code`. */
  constructor(call: string, code: number) {
    const cause = errnoError(code, call);
    super(`${call}: ${cause.message}`, { cause });
    this.name = "UringError";
    this.errno = code;
  }
}

/** Maps `len` bytes (of `fd` at `offset`, or anonymous memory for fd -1), or throws. */
export function map(len: number, fd: number, offset: bigint, call: string): Deno.PointerObject {
  const flags = fd === -1 ? MAP_PRIVATE_ANON : MAP_SHARED_POPULATE;
  const p = sys().mmap(null, BigInt(len), PROT_RW, flags, fd, offset);
  if (p === null || BigInt(Deno.UnsafePointer.value(p)) === 0xffffffffffffffffn) {
    throw new UringError(call, errno());
  }
  return p;
}

/** errno of a receive that ran out of provided buffers (re-arm it once some are back). */
export const NO_BUFFERS = -ENOBUFS;

/** errno of an operation cancelled (by a cancellation, or the ring's close). */
export const CANCELED = -125;

/** errno of a wait whose timeout passed (the normal answer to a zero-timeout collect). */
export const ETIME = 62;

/** errno of this thread, read right after a failed call. */
export { errno };
