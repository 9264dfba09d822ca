/**
 * The relay's shared flush turn for text and control frames while it is busy
 * (the decision is {@linkcode isBusy} in flush_policy.ts). Every connection's
 * send queue that starts waiting within one window flushes at the same timer
 * turn, at most `windowMs` after the first, so each socket write carries every
 * frame that came for that receiver in the window.
 *
 * @module
 */

import { type FlushPolicy, isBusy, RateMeter } from "./flush_policy.ts";
import { inSlices, nextTurn, type Soon } from "./slices.ts";
import type { HeldFlush } from "../send_queue.ts";

/** The timer a coalescer uses: the global one, or a test's hand-driven one. */
export interface TurnTimer {
  /** Runs `fn` after `ms`; returns what `clear` takes. */
  set(fn: () => void, ms: number): unknown;
  /** Cancels a timer `set` returned. */
  clear(handle: unknown): void;
  /** Runs `fn` in the next turn of the event loop, after pending I/O. */
  soon: Soon;
}

const GLOBAL_TIMER: TurnTimer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  soon: nextTurn,
};

/** Shared coalescing turn of one relay (or one worker of it). */
export class Coalescer {
  readonly #policy: FlushPolicy;
  readonly #now: () => number;
  readonly #meter: RateMeter;
  #busy = false;
  #due: HeldFlush[] = [];
  // When the first of #due was held: its turn comes `windowMs` later.
  #since = 0;
  readonly #timers: TurnTimer;
  #timer: unknown;
  // Writes started by past turns and not yet complete. A turn that finds many of
  // the last turn's writes still under way waits for them, up to a second window:
  // writes are then what limits the relay, and waiting lets each write carry more
  // instead of the turns overlapping and the writes a second growing with the
  // load. A few stragglers (readers that stopped reading) hold up no one.
  #writing = 0;
  #turnSize = 0;
  #late = false;
  readonly #written = () => {
    this.#writing--;
    if (!this.#late || this.#writesBehind()) return;
    this.#timers.clear(this.#timer);
    this.#run();
  };
  readonly #run = () => {
    const waited = this.#now() - this.#since;
    if (this.#writesBehind() && waited < 2 * this.#policy.windowMs) {
      this.#late = true;
      this.#timer = this.#timers.set(this.#run, 2 * this.#policy.windowMs - waited);
      return;
    }
    this.#late = false;
    this.#timer = undefined;
    const due = this.#due;
    this.#due = [];
    this.#turnSize = due.length;
    // Flushes not yet started count as writing, so no next turn overtakes them.
    this.#writing += due.length;
    // A turn of thousands of readers starts their writes a slice per event-loop turn.
    inSlices(due, this.#start, this.#timers.soon);
  };

  readonly #start = (flush: HeldFlush) => {
    const done = flush();
    if (done) done.then(this.#written);
    else this.#written();
  };

  #writesBehind(): boolean {
    return this.#writing > this.#turnSize / 16;
  }

  /** A coalescer following `policy`; `now` is the clock in ms. */
  constructor(
    policy: FlushPolicy,
    now: () => number = () => performance.now(),
    timers: TurnTimer = GLOBAL_TIMER,
  ) {
    this.#policy = policy;
    this.#timers = timers;
    this.#now = now;
    this.#meter = new RateMeter(now());
  }

  /** Counts one text or control delivery towards the relay's rate. */
  note(): void {
    this.#meter.note();
  }

  /**
   * Takes `flush` to run at the shared turn and returns true while the relay is
   * busy; returns false (the caller flushes as usual) when it is not.
   */
  hold = (flush: HeldFlush): boolean => {
    // A turn is already due: the window is open, so no clock or rate is read (the
    // rate decides when a window opens; every queue of an open window shares it).
    if (this.#due.length > 0) {
      this.#due.push(flush);
      return true;
    }
    const now = this.#now();
    this.#busy = isBusy(this.#meter.rate(now), this.#busy, this.#policy);
    if (!this.#busy) return false;
    this.#due.push(flush);
    this.#since = now;
    this.#timer = this.#timers.set(this.#run, this.#policy.windowMs);
    return true;
  };
}
