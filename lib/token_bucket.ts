/**
 * Token-bucket rate limiting: `rate` tokens a second, up to `burst` saved up.
 * Pure: the caller passes the clock, so tests need no timers.
 *
 * @module
 */

/** A token bucket over a caller-supplied millisecond clock. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  /** `rate` tokens per second, at most `burst` in store; starts full. */
  constructor(rate: number, burst: number, nowMs: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = nowMs;
  }

  /** Takes one token if there is one; returns whether it did. */
  take(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.#last);
    this.#last = nowMs;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token will be available (0 when one is). */
  waitMs(nowMs: number): number {
    const tokens = Math.min(this.#burst, this.#tokens + ((nowMs - this.#last) * this.#rate) / 1000);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / this.#rate);
  }
}
