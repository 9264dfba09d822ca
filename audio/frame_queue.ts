/**
 * The frames a jitter buffer holds, keyed by their uint32 sequence numbers (which
 * wrap around), each with the time it arrived when that time says something about
 * the path. Bounded in count whatever the sequence numbers claim; finds the oldest
 * and newest frame by wrap-around order and trims a backlog from its old end. Pure:
 * times are passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";

/** Signed distance a - b between uint32 sequence numbers, wrap-around safe. */
export function seqDiff(a: number, b: number): number {
  return ((a - b) | 0);
}

/** A queued frame taken out for playing. */
export interface TakenFrame {
  /** The encoded frame. */
  payload: Uint8Array;
  /** When it arrived, if it was timed. */
  arrivedMs: number | undefined;
}

/** Frames waiting to be played, by sequence number. */
export class FrameQueue {
  readonly #frames = new Map<number, Uint8Array>();
  /** Arrival time of each queued frame that was timed (not taken in by a stalled caller). */
  readonly #arrivals = new Map<number, number>();
  readonly #max: number;

  /** A queue that holds at most `max` frames. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Frames queued. */
  get size(): number {
    return this.#frames.size;
  }

  /** Whether frame `seq` is queued. */
  has(seq: number): boolean {
    return this.#frames.has(seq);
  }

  /**
   * Queues frame `seq`, with its arrival time when it was timed. A full queue first
   * loses its oldest frame; returns whether one was lost so.
   */
  add(seq: number, payload: Uint8Array, arrivedMs?: number): boolean {
    let dropped = false;
    if (this.#frames.size >= this.#max) {
      this.delete(this.oldest(seq));
      dropped = true;
    }
    this.#frames.set(seq, payload);
    if (arrivedMs !== undefined) this.#arrivals.set(seq, arrivedMs);
    return dropped;
  }

  /** Takes frame `seq` out of the queue, or gives undefined when it is not queued. */
  take(seq: number): TakenFrame | undefined {
    const payload = this.#frames.get(seq);
    if (payload === undefined) return undefined;
    const arrivedMs = this.#arrivals.get(seq);
    this.delete(seq);
    return { payload, arrivedMs };
  }

  /** Forgets frame `seq`. */
  delete(seq: number): void {
    this.#frames.delete(seq);
    this.#arrivals.delete(seq);
  }

  /** Forgets every frame. */
  clear(): void {
    this.#frames.clear();
    this.#arrivals.clear();
  }

  /** Sequence number of the oldest queued frame, or `empty` when there is none. */
  oldest(empty: number): number {
    let best: number | undefined;
    for (const seq of this.#frames.keys()) {
      if (best === undefined || seqDiff(seq, best) < 0) best = seq;
    }
    return best ?? empty;
  }

  /** Sequence number of the newest queued frame, or `empty` when there is none. */
  newest(empty: number): number {
    let best: number | undefined;
    for (const seq of this.#frames.keys()) {
      if (best === undefined || seqDiff(seq, best) > 0) best = seq;
    }
    return best ?? empty;
  }

  /** Frames from `head` to the newest queued one, both included; 0 when empty. */
  spanFrom(head: number): number {
    if (this.#frames.size === 0) return 0;
    return Math.max(0, seqDiff(this.newest(head), head) + 1);
  }

  /**
   * The earliest time at which, going by the timed frames, frame `head` could have
   * been there: each frame's arrival less its distance from `head` in frames.
   * Infinity when no queued frame was timed.
   */
  earliestDue(head: number): number {
    let earliest = Infinity;
    for (const [seq, at] of this.#arrivals) {
      earliest = Math.min(earliest, at - seqDiff(seq, head) * FRAME_MS);
    }
    return earliest;
  }

  /** Forgets every frame older than `keepFrom`; returns how many there were. */
  dropBefore(keepFrom: number): number {
    let dropped = 0;
    for (const seq of [...this.#frames.keys()]) {
      if (seqDiff(seq, keepFrom) < 0) {
        this.delete(seq);
        dropped++;
      }
    }
    return dropped;
  }
}
