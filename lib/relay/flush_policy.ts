/**
 * When the relay lets text and control frames wait to share a write. A socket
 * write costs the relay several microseconds of CPU whatever it carries, so a
 * relay fanning out many texts a second, each receiver getting one every few
 * milliseconds, would spend a core on writes of one frame each. While the relay
 * as a whole delivers more than {@linkcode FlushPolicy.busyRate} such frames a
 * second, they wait up to {@linkcode FlushPolicy.windowMs} for one shared flush
 * turn, so that several messages leave in one write; below that (a chat of a
 * few people) nothing waits. Pure: the caller gives the times and counts.
 *
 * @module
 */

/** The coalescing settings of a relay. */
export interface FlushPolicy {
  /** Longest a text or control frame waits for the shared flush turn, in ms (0: never). */
  windowMs: number;
  /** Text and control deliveries a second, relay-wide, from which frames wait. */
  busyRate: number;
}

/**
 * Defaults, from bench/fanout_ab.ts at 100,000 deliveries/s (bench/analysis.md,
 * issue 14): one write per delivery cost 59–80 % of a core, a 20 ms window
 * 38–40 % and 40 ms 22–24 %, text p99 under 100 ms with either. 20 ms is the
 * bound the design gave the window; 10,000 a second (about 5 % of a core
 * unbatched) is far above any chat of people.
 */
export const DEFAULT_FLUSH_POLICY: FlushPolicy = { windowMs: 20, busyRate: 10_000 };

/** How long the rate is measured over before it is updated, in ms. */
export const RATE_PERIOD_MS = 250;

/**
 * Whether frames wait for the shared turn. Busy starts at `busyRate` and ends
 * below half of it, so a rate hovering at the threshold does not flip the
 * relay's behaviour every period.
 */
export function isBusy(rate: number, wasBusy: boolean, policy: FlushPolicy): boolean {
  if (policy.windowMs <= 0) return false;
  return rate >= (wasBusy ? policy.busyRate / 2 : policy.busyRate);
}

/**
 * A count of events a second, updated once per {@linkcode RATE_PERIOD_MS}. Counting
 * is one increment; the clock is read only when the rate is asked for.
 */
export class RateMeter {
  #count = 0;
  #since: number;
  #rate = 0;

  /** A meter whose first period starts at `now` (ms). */
  constructor(now: number) {
    this.#since = now;
  }

  /** Counts one event. */
  note(): void {
    this.#count++;
  }

  /**
   * Events a second over the last finished period. A period that ran long (no one
   * asked during a quiet spell) is averaged over all of it, so quiet reads as quiet.
   */
  rate(now: number): number {
    const elapsed = now - this.#since;
    if (elapsed >= RATE_PERIOD_MS) {
      this.#rate = this.#count * 1000 / elapsed;
      this.#count = 0;
      this.#since = now;
    }
    return this.#rate;
  }
}
