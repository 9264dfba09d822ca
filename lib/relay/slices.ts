/**
 * Work over many sockets, a slice per event-loop turn. Deno makes a socket
 * write's system call at once only for the first 128 writes of an event-loop
 * turn; the writes past those wait to be polled again and cost more each
 * (bench/analysis.md, "Writes in slices"), so a fan-out to thousands of readers
 * starts its writes 128 a turn.
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** Writes started in one event-loop turn. */
export const SLICE = 128;

/** Runs a function in a later turn of the event loop. */
export type Soon = (fn: () => void) => void;

/** The next turn of the event loop, after the I/O it has ready. */
export const nextTurn: Soon = (fn) => void setImmediate(fn);

/**
 * Calls `each` for every item: the first {@linkcode SLICE} now, each further
 * slice in a turn of its own, in order.
 */
export function inSlices<T>(
  items: readonly T[],
  each: (item: T) => void,
  soon: Soon = nextTurn,
  from = 0,
): void {
  const end = Math.min(items.length, from + SLICE);
  for (let i = from; i < end; i++) each(items[i]);
  if (end < items.length) soon(() => inSlices(items, each, soon, end));
}
