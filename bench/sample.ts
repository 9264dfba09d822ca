/**
 * The load generator's sample: which few receivers decode, time and verify
 * every message (the rest only count, bench/counters.ts), and how many of
 * their messages are opened with the real opener, so that verification never
 * becomes the generator's own bottleneck.
 *
 * @module
 */

/** Sample receivers per run unless told otherwise. */
export const DEFAULT_SAMPLE = 20;

/**
 * Messages a second that sample receivers of ours open with the real opener, in
 * all: an open costs about 50 µs in Deno here, so opening every message even at
 * one receiver would load the generator's core at the top of the ladder.
 */
export const OPEN_BUDGET = 2000;

/** Sample receivers that open messages, and every how many-th message they open. */
export function openPlan(sample: number, rate: number): { openers: number; every: number } {
  const openers = Math.min(2, sample);
  return { openers, every: Math.max(1, Math.ceil((rate * openers) / OPEN_BUDGET)) };
}

/**
 * Which receivers are the sample: `n` of the clients `senders..clients-1`
 * (the senders do not get their own messages), spread evenly over them.
 */
export function sampleIndices(clients: number, senders: number, n: number): Set<number> {
  const pool = Math.max(0, clients - senders);
  const take = Math.min(pool, Math.max(0, Math.floor(n)));
  const out = new Set<number>();
  for (let k = 0; k < take; k++) out.add(senders + Math.floor((k * pool) / take));
  return out;
}
