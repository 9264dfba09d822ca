/**
 * The io_uring of this thread, shared by every {@linkcode UringConn}: one ring,
 * one ring of provided receive buffers, and an eventfd watched by the thread's
 * epoll reactor, signalled as receives complete. A load generator can poll
 * instead ({@linkcode pollUring}): the kernel then defers each arrival's
 * receive until the next poll runs them all, which spared a 2000-listener
 * voice generator a third of its core (bench/analysis.md). A completion's user data is the
 * owner's id shifted left by two, the low bits telling a receive (0) from a
 * send (1) and from a cancellation (2), whose completion nobody needs.
 *
 * @module
 */

import { C, check, libc, size } from "../epoll/libc.ts";
import { type Pollable, reactor } from "../epoll/reactor.ts";
import { BufferRing } from "./buffer_ring.ts";
import { Ring } from "./ring.ts";
import { U } from "./sys.ts";

/** What owns operations on the ring: told each of its completions. */
export interface UringOwner {
  /** A completion of this owner's: `send` tells a send's from the others. */
  onCompletion(send: boolean, res: number, flags: number): void;
}

/** User data of owner `id`'s receive: add {@linkcode SEND} or {@linkcode CANCEL} for those. */
export const userData = (id: number): number => id << 2;
/** The kind bits of a send's user data. */
export const SEND = 1;
/** The kind bits of a cancellation's user data. */
export const CANCEL = 2;

const SUBMISSIONS = 4096;
const COMPLETIONS = 32768;
const BUFFERS = 8192;
const BUFFER_BYTES = 2048;

/** The ring, its buffers and the owners of what is in flight. */
export class UringLoop implements Pollable {
  /** The ring. */
  readonly ring: Ring;
  /** The buffers multishot receives fill (group 1). */
  readonly buffers: BufferRing;
  readonly #eventFd: number;
  readonly #pollMs: number | null;
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #owners: (UringOwner | undefined)[] = [];
  readonly #freeIds: number[] = [];
  readonly #one = new Uint8Array(8);
  #count = 0;
  #reaping = false;
  #soon = false;
  readonly #take = (userData: number, res: number, flags: number) => {
    const kind = userData & 3;
    if (kind !== CANCEL) this.#owners[userData >>> 2]?.onCompletion(kind === SEND, res, flags);
  };
  readonly #runSoon = () => {
    this.#soon = false;
    this.run();
  };

  /**
   * A loop woken by the eventfd at each completion (`pollMs` null), or, for a load
   * generator, one that defers the kernel's work on arrivals and collects every `pollMs`.
   */
  constructor(pollMs: number | null = null) {
    this.#pollMs = pollMs;
    // Woken: the kernel runs a receive as its data comes (COOP_TASKRUN: at this thread's
    // next kernel entry or wakeup, with no interrupt) and then signals the eventfd.
    // Polled: arrivals queue their receives until the next poll runs them all at once;
    // with deferred work the eventfd is not signalled on arrival (measured: reads then
    // waited ~15 ms), hence the timer.
    const flags = pollMs === null
      ? U.SETUP_COOP_TASKRUN
      : U.SETUP_SINGLE_ISSUER | U.SETUP_DEFER_TASKRUN;
    this.ring = new Ring(SUBMISSIONS, COMPLETIONS, flags);
    try {
      this.buffers = new BufferRing(this.ring, 1, BUFFERS, BUFFER_BYTES);
      // Polled, the timer is the only wakeup (an eventfd would add one per poll).
      this.#eventFd = pollMs === null
        ? check(libc().eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC), "eventfd")
        : -1;
      if (this.#eventFd !== -1) this.ring.registerEventFd(this.#eventFd);
    } catch (err) {
      this.ring.close();
      throw err;
    }
  }

  /** Gives `owner` an id for its operations' user data; watched while any owner is. */
  add(owner: UringOwner): number {
    const id = this.#freeIds.pop() ?? this.#owners.length;
    this.#owners[id] = owner;
    if (this.#count++ === 0) {
      if (this.#pollMs !== null) this.#timer = setInterval(() => this.run(), this.#pollMs);
      else reactor().add(this.#eventFd, this);
    }
    return id;
  }

  /** Forgets owner `id` (after its last completion); the last one lets the process end. */
  remove(id: number): void {
    if (this.#owners[id] === undefined) return;
    this.#owners[id] = undefined;
    this.#freeIds.push(id);
    if (--this.#count > 0) return;
    if (this.#eventFd !== -1) reactor().remove(this.#eventFd);
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * Runs {@linkcode run} once the current task's microtasks are done, so that every
   * send queued in a fan-out's turn goes in one `io_uring_enter`.
   */
  submitSoon(): void {
    if (this.#soon) return;
    this.#soon = true;
    queueMicrotask(this.#runSoon);
  }

  /**
   * Submits what is queued, runs deferred receives and takes every completion posted.
   * Called again from inside a completion's callback (a reader that writes), it
   * only submits, and the outer call takes what that completes.
   */
  run(): void {
    this.#enter();
    if (this.#reaping) return;
    this.#reaping = true;
    try {
      while (this.ring.reap(this.#take) > 0) {
        // An owner may have queued (a re-armed receive, a send): submit before looking again.
        this.#enter();
      }
    } finally {
      this.#reaping = false;
    }
  }

  /**
   * Submits what is queued and collects what the kernel has: woken, with GETEVENTS and no
   * completion asked for (it flushes completions that overflowed the ring; without it, a
   * relay at its top rate lost sends' completions and stalled); polled, asking for a whole
   * ring's worth so that all the deferred work runs. Asking a woken ring for that many
   * cost a completion wait's set-up per call, a fifth of the relay's time at 600 texts a
   * second (bench/analysis.md).
   */
  #enter(): void {
    if (this.#pollMs === null) this.ring.submit(true);
    else this.ring.submitAndRun();
  }

  /** Reactor callback: receives have data waiting (the eventfd was signalled). */
  onEvents(): void {
    libc().read(this.#eventFd, this.#one, size(8));
    this.run();
  }
}

let current: UringLoop | null = null;
let pollEvery: number | null = null;

/**
 * Makes this thread's loop (if not made yet) a polled one: the kernel's work on arrivals
 * deferred and collected every `ms`, at most `ms` late, in one batch for every socket.
 * For load generators that take a hundred thousand arrivals a second; a relay keeps the
 * woken loop.
 */
export function pollUring(ms: number): void {
  if (current) throw new Error("pollUring: this thread's io_uring loop is already made");
  pollEvery = ms;
}

/** This thread's io_uring loop, made on first use (throws where io_uring is unavailable). */
export function uringLoop(): UringLoop {
  current ??= new UringLoop(pollEvery);
  return current;
}
