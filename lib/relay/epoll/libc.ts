/**
 * The few libc calls the epoll I/O backend (`am-server --io epoll`) makes
 * through Deno's FFI: sockets, epoll and eventfd, plus errno read right after
 * a failing call and turned into the `Deno.errors` class Deno's own sockets
 * would raise, so that lib/relay/listen_error.ts and the readers see the same
 * errors on either backend. Linux only; the library opens on first use, so a
 * relay on Deno's I/O never loads it.
 *
 * @module
 */

/** errno values the backend acts on (Linux, every architecture Deno runs on). */
export const Errno = {
  EINTR: 4,
  EAGAIN: 11,
  ECONNABORTED: 103,
  EINPROGRESS: 115,
} as const;

/** Constants of the Linux socket and epoll API. */
export const C = {
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_ERROR: 4,
  SO_REUSEPORT: 15,
  IPPROTO_TCP: 6,
  TCP_NODELAY: 1,
  MSG_DONTWAIT: 0x40,
  MSG_NOSIGNAL: 0x4000,
  EPOLL_CLOEXEC: 0o2000000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  EPOLLIN: 0x1,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLLRDHUP: 0x2000,
  EPOLLET: 0x80000000,
  EFD_NONBLOCK: 0o4000,
  EFD_CLOEXEC: 0o2000000,
} as const;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  // Blocks on a helper thread while nothing is ready, so the event loop runs on.
  epoll_wait_blocking: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // With timeout 0: collects what is ready without leaving JavaScript.
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // ssize_t results as i32: a socket call never moves 2 GiB at once.
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * `n` as a `size_t` argument. Deno's FFI also takes a plain number for a 64-bit
 * parameter, but only through its slow path: a `send` with a number measured
 * ~0.3 µs more per call than with a bigint (bench/ffi_call_cost.ts), far
 * more than the small bigint made here costs.
 */
export function size(n: number): bigint {
  return BigInt(n);
}

/** The bound libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: Libc | null = null;
let errnoView: Deno.UnsafePointerView | null = null;

/** libc, opened on first use (throws `Deno.errors.NotCapable` without --allow-ffi). */
export function libc(): Libc {
  if (lib) return lib;
  lib = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  // errno is per thread; a Deno worker keeps its own thread and its own module instance.
  errnoView = new Deno.UnsafePointerView(lib.__errno_location()!);
  return lib;
}

/** errno of this thread: read it right after the call that failed. */
export function errno(): number {
  return errnoView!.getInt32();
}

// Deno's own mapping of errno to its error classes (deno_core's error codes).
const ERROR_CLASSES: Record<number, new (message: string) => Error> = {
  1: Deno.errors.PermissionDenied, // EPERM
  13: Deno.errors.PermissionDenied, // EACCES
  32: Deno.errors.BrokenPipe, // EPIPE
  98: Deno.errors.AddrInUse, // EADDRINUSE
  99: Deno.errors.AddrNotAvailable, // EADDRNOTAVAIL
  103: Deno.errors.ConnectionAborted, // ECONNABORTED
  104: Deno.errors.ConnectionReset, // ECONNRESET
  107: Deno.errors.NotConnected, // ENOTCONN
  110: Deno.errors.TimedOut, // ETIMEDOUT
  111: Deno.errors.ConnectionRefused, // ECONNREFUSED
};

/** The error Deno would raise for `code`, its message libc's (e.g. "Address already in use"). */
export function errnoError(code: number, call: string): Error {
  const ptr = libc().strerror(code);
  const text = ptr ? Deno.UnsafePointerView.getCString(ptr) : `errno ${code}`;
  const Class = ERROR_CLASSES[code] ?? Error;
  return new Class(`${text} (os error ${code}, ${call})`);
}

// Scratch for int arguments passed by pointer. Made once: a small typed array made per
// call lives on V8's heap, and handing it to FFI moves it to a malloc'd store of its own,
// which left ~3 KiB of RSS per connection that setsockopt'd a fresh one.
const intScratch = new Int32Array(2);
const intBytes = new Uint8Array(intScratch.buffer, 0, 4);
const lenBytes = new Uint8Array(intScratch.buffer, 4, 4);

/** Sets the int socket option `name` of `level` on `fd` to `value`: 0, or -1 (see errno). */
export function setIntOption(fd: number, level: number, name: number, value: number): number {
  intScratch[0] = value;
  return libc().setsockopt(fd, level, name, intBytes, 4);
}

/** The int socket option `name` of `level` on `fd`, or -1 (see errno). */
export function getIntOption(fd: number, level: number, name: number): number {
  intScratch[0] = 0;
  intScratch[1] = 4;
  return libc().getsockopt(fd, level, name, intBytes, lenBytes) === -1 ? -1 : intScratch[0];
}

/** Throws the error for this thread's errno when `result` is -1; returns `result` otherwise. */
export function check(result: number, call: string): number {
  if (result === -1) throw errnoError(errno(), call);
  return result;
}

/** A nonblocking TCP socket of `family` (the caller closes it if what follows fails). */
export function openSocket(family: number): number {
  const type = C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC;
  return check(libc().socket(family, type, 0), "socket");
}
