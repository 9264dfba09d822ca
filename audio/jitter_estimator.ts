/**
 * How a talker's packets arrive, for the jitter buffer's target: the smoothed
 * inter-arrival jitter (RFC 3550's mean deviation), the largest recent lateness spike
 * (a {@linkcode StallDetector}), and how many packets in a row came without a spike.
 * Silence longer than half a second is a pause between talk spurts, not lateness:
 * timing starts afresh after it. Pure: arrival times are passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";
import { seqDiff } from "./frame_queue.ts";
import { StallDetector } from "./stall_detector.ts";

/** Arrival gaps beyond this are pauses between spurts, not jitter. */
const MAX_JITTER_SAMPLE_MS = 500;

/** Jitter, lateness spikes and calm of one talker's packet arrivals. */
export class JitterEstimator {
  // Until jitter is measured, assume half a frame of it: a 40 ms target, a spurt started
  // once its first frame has waited 20 ms past due. With a frame of it (60 ms), the first
  // 2 s of a listener's first talk from someone played a frame deeper than the rest
  // (bench/analysis.md); estimates are kept across spurts, so later talks start at the
  // measured jitter either way.
  #jitterMs = FRAME_MS / 2;
  #lastArrival: { seq: number; ms: number } | undefined;
  readonly #stalls = new StallDetector(MAX_JITTER_SAMPLE_MS);
  /** Origin of the due times the stall detector sees. */
  #refSeq = 0;
  /**
   * How much lateness a buffer should cover, in ms: twice the smoothed jitter or the
   * recent spike, whichever is more.
   */
  get coverMs(): number {
    return Math.max(2 * this.#jitterMs, this.#stalls.spikeMs);
  }

  /** Packets since the last lateness spike or underrun. */
  #calmPackets = 0;

  /** Smoothed inter-arrival jitter in ms. */
  get jitterMs(): number {
    return this.#jitterMs;
  }

  /** Largest recent lateness spike in ms (decaying), 0 when none. */
  get spikeMs(): number {
    return this.#stalls.spikeMs;
  }

  /** Packets since the last lateness spike or {@linkcode JitterEstimator.disturbed}. */
  get calmPackets(): number {
    return this.#calmPackets;
  }

  /** Times packet `seq`, which arrived at `arrivalMs`. */
  observe(seq: number, arrivalMs: number): void {
    const last = this.#lastArrival;
    if (last === undefined || seqDiff(seq, last.seq) > 0) {
      this.#lastArrival = { seq, ms: arrivalMs };
    }
    // Silence this long is a pause between spurts (the counter continues over it):
    // neither jitter nor lateness, and later packets are timed against a new reference.
    if (last === undefined || arrivalMs - last.ms > MAX_JITTER_SAMPLE_MS) {
      this.#stalls.restart();
      this.#refSeq = seq;
      this.#stalls.observe(0, arrivalMs);
      return;
    }
    this.#stalls.observe(seqDiff(seq, this.#refSeq) * FRAME_MS, arrivalMs);
    this.#calmPackets = this.#stalls.spikeMs > 0 ? 0 : this.#calmPackets + 1;
    const transit = arrivalMs - last.ms - seqDiff(seq, last.seq) * FRAME_MS;
    const d = Math.abs(transit);
    if (d > MAX_JITTER_SAMPLE_MS) return;
    this.#jitterMs += (d - this.#jitterMs) / 16;
  }

  /**
   * A packet came whose arrival time says nothing about the path (the caller was
   * stalled): the next one is not timed against the last.
   */
  untimed(): void {
    this.#lastArrival = undefined;
  }

  /** The stream starts over: the next packet is a new reference (estimates are kept). */
  restart(): void {
    this.#lastArrival = undefined;
    this.#stalls.restart();
  }

  /** The player ran dry: the path is not calm. */
  disturbed(): void {
    this.#calmPackets = 0;
  }
}
