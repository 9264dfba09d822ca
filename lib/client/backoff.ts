/**
 * Reconnect delays: exponential backoff with full jitter, so that the clients
 * of a relay that restarts do not all come back in the same millisecond.
 *
 * @module
 */

/** Delay before reconnect attempt `attempt` (0-based), in ms. */
export function backoffDelay(
  attempt: number,
  { baseMs = 250, maxMs = 10_000, random = Math.random }: {
    baseMs?: number;
    maxMs?: number;
    random?: () => number;
  } = {},
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  // Half fixed, half random: never a zero delay, still spread out.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
