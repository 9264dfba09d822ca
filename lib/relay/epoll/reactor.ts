/**
 * One epoll instance per thread (the main thread, or each `--workers` relay
 * worker) that tells every socket of the epoll backend when it may read or
 * write. Sockets are registered edge-triggered for input, and for output only
 * while a send is waiting for room: watched always, output would wake the loop
 * for every ACK that frees send-buffer space (an event per frame per listener
 * in a voice fan-out). An event only says "try again", and the socket's own
 * recv or send says what is true (a stale event for a closed and reused
 * descriptor costs one EAGAIN, nothing worse).
 *
 * The loop waits with a nonblocking FFI call (epoll_wait on a helper thread),
 * so the event loop runs on while nothing is ready; while events keep coming
 * it polls without waiting once an event-loop turn instead, since each trip
 * through the helper thread is a thread switch. The pending call keeps the
 * process alive, as a Deno socket does; once the last socket is gone an
 * eventfd wakes the helper thread and the loop stops, so a relay that has shut
 * down, or a test that closed its sockets, ends.
 *
 * @module
 */

import { nextTurn } from "../slices.ts";
import { C, check, libc, size } from "./libc.ts";

/** What the reactor tells: a registered descriptor had events. */
export interface Pollable {
  /** Called with the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLHUP…) of one wait. */
  onEvents(events: number): void;
}

const MAX_EVENTS = 1024;
// struct epoll_event is packed on x86-64 (12 bytes) and 8-byte aligned elsewhere (16).
const EVENT_BYTES = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;
const READS = C.EPOLLIN | C.EPOLLRDHUP | C.EPOLLET;
const READS_AND_WRITES = READS | C.EPOLLOUT;

/** The epoll loop of this thread. */
export class Reactor {
  readonly #epfd: number;
  readonly #wakeFd: number;
  // Indexed by descriptor: small dense integers, so an array beats a Map per socket.
  readonly #targets: (Pollable | undefined)[] = [];
  readonly #events = new Uint8Array(MAX_EVENTS * EVENT_BYTES);
  readonly #view = new DataView(this.#events.buffer);
  readonly #ctl = new Uint8Array(EVENT_BYTES);
  readonly #ctlView = new DataView(this.#ctl.buffer);
  readonly #one = new Uint8Array(8);
  #count = 0;
  #running = false;

  constructor() {
    const c = libc();
    this.#epfd = check(c.epoll_create1(C.EPOLL_CLOEXEC), "epoll_create1");
    this.#wakeFd = check(c.eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC), "eventfd");
    this.#control(C.EPOLL_CTL_ADD, this.#wakeFd, C.EPOLLIN);
  }

  /** Descriptors registered now. */
  get size(): number {
    return this.#count;
  }

  /** Watches `fd` for input, and for output too with `writes` (edge-triggered), telling `target`. */
  add(fd: number, target: Pollable, writes = false): void {
    this.#control(C.EPOLL_CTL_ADD, fd, writes ? READS_AND_WRITES : READS);
    this.#targets[fd] = target;
    this.#count++;
    if (!this.#running) this.#run();
  }

  /**
   * Starts or stops watching `fd` for output. Starting tells at once if it is writable
   * already (epoll checks on every change), so a send that just found no room and then
   * starts watching cannot miss the room made meanwhile.
   */
  watchWrites(fd: number, on: boolean): void {
    if (this.#targets[fd] === undefined) return;
    this.#control(C.EPOLL_CTL_MOD, fd, on ? READS_AND_WRITES : READS);
  }

  /** Stops watching `fd` (call before closing it); the loop stops after the last one. */
  remove(fd: number): void {
    if (this.#targets[fd] === undefined) return;
    this.#targets[fd] = undefined;
    this.#count--;
    try {
      this.#control(C.EPOLL_CTL_DEL, fd, 0);
    } catch {
      // Not registered any more: nothing to undo.
    }
    if (this.#count === 0 && this.#running) {
      this.#one.fill(0);
      this.#one[0] = 1;
      libc().write(this.#wakeFd, this.#one, size(8));
    }
  }

  #control(op: number, fd: number, events: number): void {
    this.#ctlView.setUint32(0, events, true);
    this.#ctlView.setUint32(DATA_OFFSET, fd, true);
    this.#ctlView.setUint32(DATA_OFFSET + 4, 0, true);
    check(libc().epoll_ctl(this.#epfd, op, fd, this.#ctl), "epoll_ctl");
  }

  async #run(): Promise<void> {
    this.#running = true;
    const c = libc();
    try {
      while (this.#count > 0) {
        // A wait that returns with no events (EINTR, or the wake) just loops.
        this.#dispatch(await c.epoll_wait_blocking(this.#epfd, this.#events, MAX_EVENTS, -1));
        // While events keep coming, take them on the next turns without the helper thread;
        // back to waiting on it once a poll finds nothing.
        while (this.#count > 0) {
          await new Promise<void>(nextTurn);
          const n = c.epoll_wait(this.#epfd, this.#events, MAX_EVENTS, 0);
          if (n <= 0) break;
          this.#dispatch(n);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #dispatch(n: number): void {
    for (let i = 0; i < n; i++) {
      const at = i * EVENT_BYTES;
      const events = this.#view.getUint32(at, true);
      const fd = this.#view.getUint32(at + DATA_OFFSET, true);
      if (fd === this.#wakeFd) {
        libc().read(this.#wakeFd, this.#one, size(8));
        continue;
      }
      const target = this.#targets[fd];
      if (!target) continue;
      try {
        target.onEvents(events);
      } catch (err) {
        // One socket's failure must not stop the loop every other socket depends on.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

let current: Reactor | null = null;

/** This thread's reactor, made on first use. */
export function reactor(): Reactor {
  current ??= new Reactor();
  return current;
}
