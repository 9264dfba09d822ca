/**
 * What the load generator measures, shared by every protocol driver: when each
 * message was meant to be sent (its intended time, so generator lag counts as
 * latency), and for each delivery how late it arrived and how many bytes it took.
 * Latencies go into a fixed 50 µs histogram, so recording costs no allocation.
 *
 * @module
 */

const DEBUG = Deno.env.get("AM_BENCH_DEBUG") === "1";
const BUCKET_MS = 0.05;
const BUCKETS = 200_000; // up to 10 s; later arrivals land in the last bucket

/** Latency histogram with percentiles. */
export class Histogram {
  readonly #counts = new Uint32Array(BUCKETS);
  /** Values recorded. */
  count = 0;
  /** Largest value recorded, in ms. */
  max = 0;

  /** Records one latency in ms. */
  add(ms: number): void {
    const b = ms <= 0 ? 0 : Math.min(BUCKETS - 1, Math.floor(ms / BUCKET_MS));
    this.#counts[b]++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The `p`-th percentile (0–100) in ms, or NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b];
      if (seen >= rank) return (b + 1) * BUCKET_MS;
    }
    return this.max;
  }

  /** Fraction of values at or below `ms`. */
  fractionWithin(ms: number): number {
    if (this.count === 0) return 0;
    const last = Math.min(BUCKETS, Math.floor(ms / BUCKET_MS));
    let seen = 0;
    for (let b = 0; b < last; b++) seen += this.#counts[b];
    return seen / this.count;
  }
}

/** Intended send times of every message, and what arrived of them. */
export class Recorder {
  readonly #intended: Float64Array[];
  /** Latency of deliveries of messages intended inside the window. */
  readonly latency = new Histogram();
  /** Deliveries of window messages. */
  delivered = 0;
  /** Bytes those deliveries took on the receivers' sockets. */
  deliveredBytes = 0;
  /** Deliveries of any message (window or not). */
  deliveredAll = 0;
  /** Messages sent whose intended time lies in the window. */
  sentInWindow = 0;
  /** Messages sent in all. */
  sent = 0;
  /** Window of intended times, in `performance.now()` ms. */
  windowStart = Infinity;
  /** End of the window. */
  windowEnd = Infinity;

  /** Each sender's frames as it sent them, by number (kept by protocols that seal ahead). */
  readonly #frames: Uint8Array[][];

  /** Room for `senders` senders of up to `perSender` messages each. */
  constructor(senders: number, perSender: number) {
    this.#intended = Array.from({ length: senders }, () => new Float64Array(perSender + 1));
    this.#frames = Array.from({ length: senders }, () => []);
  }

  /** Keeps the frame `sender` sends as message `seq`, for sample receivers to compare. */
  keep(sender: number, seq: number, frame: Uint8Array): void {
    this.#frames[sender][seq] = frame;
  }

  /** The frame kept for message `seq` of `sender`, if any. */
  frame(sender: number, seq: number): Uint8Array | undefined {
    return this.#frames[sender]?.[seq];
  }

  /** Notes that message `seq` (1-based) of `sender` is sent, meant for time `t`. */
  sending(sender: number, seq: number, t: number): void {
    this.#intended[sender][seq] = t;
    this.sent++;
    if (t >= this.windowStart && t < this.windowEnd) this.sentInWindow++;
  }

  /** Intended time of a message (0 when unknown). */
  intended(sender: number, seq: number): number {
    return this.#intended[sender]?.[seq] ?? 0;
  }

  /** A receiver got message `seq` of `sender` at `now`, in `bytes` bytes. */
  delivery(sender: number, seq: number, bytes: number, now: number): void {
    this.deliveredAll++;
    const t = this.#intended[sender]?.[seq];
    if (!t || t < this.windowStart || t >= this.windowEnd) return;
    this.delivered++;
    this.deliveredBytes += bytes;
    this.latency.add(now - t);
    if (DEBUG) {
      const slot = Math.floor((t - this.windowStart) / 100);
      this.timeline[slot] = Math.max(this.timeline[slot] ?? 0, now - t);
    }
  }
  /** Debug only (AM_BENCH_DEBUG=1): worst latency per 100 ms of intended time. */
  readonly timeline: number[] = [];
}
