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

/** Shared coalescing turn of one relay (or one worker of it). */
export class Coalescer {
  readonly #policy: FlushPolicy;
  readonly #now: () => number;
  readonly #meter: RateMeter;
  #busy = false;
  #due: (() => void)[] = [];
  readonly #run = () => {
    const now = this.#due;
    this.#due = [];
    for (const flush of now) flush();
  };

  /** A coalescer following `policy`; `now` is the clock in ms. */
  constructor(policy: FlushPolicy, now: () => number = () => performance.now()) {
    this.#policy = policy;
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
  hold = (flush: () => void): boolean => {
    this.#busy = isBusy(this.#meter.rate(this.#now()), this.#busy, this.#policy);
    if (!this.#busy) return false;
    if (this.#due.push(flush) === 1) setTimeout(this.#run, this.#policy.windowMs);
    return true;
  };
}
