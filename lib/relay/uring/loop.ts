/**
 * The io_uring of this thread, shared by every {@linkcode UringConn}: one ring,
 * one ring of provided receive buffers, polled every {@linkcode POLL_MS} while
 * any connection is open: at each poll the kernel runs the receives whose data
 * came since (deferred task work) and JavaScript takes their completions, a
 * batch for every socket at once. Waiting for an eventfd instead cost a wakeup
 * per arrival. A completion's user data is the
 * owner's id shifted left by two, the low bits telling a receive (0) from a
 * send (1) and from a cancellation (2), whose completion nobody needs.
 *
 * @module
 */

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

/** How often completions are collected while any owner is live. */
export const POLL_MS = 1;

/** The ring, its buffers and the owners of what is in flight. */
export class UringLoop {
  /** The ring. */
  readonly ring: Ring;
  /** The buffers multishot receives fill (group 1). */
  readonly buffers: BufferRing;
  readonly #owners: (UringOwner | undefined)[] = [];
  readonly #freeIds: number[] = [];
  #count = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #reaping = false;
  readonly #take = (userData: number, res: number, flags: number) => {
    const kind = userData & 3;
    if (kind !== CANCEL) this.#owners[userData >>> 2]?.onCompletion(kind === SEND, res, flags);
  };

  constructor() {
    // Deferred task work: a socket's arrival queues its receive until this thread asks
    // (at each poll), rather than interrupting it, so a thousand arrivals are one batch.
    this.ring = new Ring(SUBMISSIONS, COMPLETIONS, U.SETUP_SINGLE_ISSUER | U.SETUP_DEFER_TASKRUN);
    try {
      this.buffers = new BufferRing(this.ring, 1, BUFFERS, BUFFER_BYTES);
    } catch (err) {
      this.ring.close();
      throw err;
    }
  }

  /** Gives `owner` an id for its operations' user data; polled while any owner is. */
  add(owner: UringOwner): number {
    const id = this.#freeIds.pop() ?? this.#owners.length;
    this.#owners[id] = owner;
    if (this.#count++ === 0) this.#timer = setInterval(() => this.run(), POLL_MS);
    return id;
  }

  /** Forgets owner `id` (after its last completion); the last one lets the process end. */
  remove(id: number): void {
    if (this.#owners[id] === undefined) return;
    this.#owners[id] = undefined;
    this.#freeIds.push(id);
    if (--this.#count === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /**
   * Submits what is queued, runs deferred receives and takes every completion posted:
   * how many. Called again from inside a completion's callback (a reader that writes), it
   * only submits, and the outer call takes what that completes.
   */
  run(): number {
    this.ring.submit(0, true);
    if (this.#reaping) return 0;
    this.#reaping = true;
    let n = 0;
    try {
      for (let got = this.ring.reap(this.#take); got > 0; got = this.ring.reap(this.#take)) {
        n += got;
        // An owner may have queued (a re-armed receive, a send): submit before looking again.
        this.ring.submit(0, true);
      }
    } finally {
      this.#reaping = false;
    }
    return n;
  }
}
let current: UringLoop | null = null;

/** This thread's io_uring loop, made on first use (throws where io_uring is unavailable). */
export function uringLoop(): UringLoop {
  current ??= new UringLoop();
  return current;
}
