/**
 * Lateness spikes of a packet stream, for the jitter buffer's target. A talker,
 * network or listener that stalls delivers its backlog in a burst afterwards, and the
 * packets of that burst are late by up to the stall; ordinary jitter, which the
 * smoothed RFC 3550 estimate covers, is much smaller. The spike estimate jumps to the
 * largest lateness seen, so the very next stall is absorbed, and decays a frame at a
 * time while packets keep arriving on time. Pure: arrival times are passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";

/**
 * Lateness up to this is ordinary jitter (a sound server handing capture over two
 * frames at a time makes every other packet 20 ms late), left to the smoothed
 * estimate; beyond it a packet is part of a spike.
 */
export const SPIKE_MIN_MS = 2 * FRAME_MS;
/** Packets without a new spike after which the estimate drops a frame (3 s of talk). */
const DECAY_PACKETS = 150;
/**
 * Arrivals remembered to find the earliest one, the reference for lateness (1 s). A
 * stall's burst is judged against the packets just before it; a lasting shift of the
 * path's delay (a talker's capture catching up at the start of a talk) must stop
 * counting as lateness soon, or it holds the target up (a 5 s window kept a 77 ms
 * spike alive for a whole 6 s talk, measured).
 */
const WINDOW = 50;

/** Tracks the largest recent lateness of a packet stream. */
export class StallDetector {
  readonly #maxMs: number;
  /** Arrival time minus due time of recent packets. */
  readonly #offsets: number[] = [];
  #spikeMs = 0;
  #calm = 0;

  /** Lateness beyond `maxMs` is counted as `maxMs`. */
  constructor(maxMs: number) {
    this.#maxMs = maxMs;
  }

  /** Current spike estimate in ms: 0, or more than {@linkcode SPIKE_MIN_MS}. */
  get spikeMs(): number {
    return this.#spikeMs;
  }

  /**
   * Notes a packet due at `dueMs` (its position in the stream × 20 ms, from any
   * origin fixed until `restart`) that arrived at `arrivalMs`.
   */
  observe(dueMs: number, arrivalMs: number): void {
    const offset = arrivalMs - dueMs;
    this.#offsets.push(offset);
    if (this.#offsets.length > WINDOW) this.#offsets.shift();
    let earliest = offset;
    for (const o of this.#offsets) earliest = Math.min(earliest, o);
    // Late relative to the earliest recent packet, i.e. to the fastest the path went.
    const lateness = Math.min(offset - earliest, this.#maxMs);
    if (lateness > SPIKE_MIN_MS && lateness >= this.#spikeMs - FRAME_MS) {
      this.#spikeMs = Math.max(this.#spikeMs, lateness);
      this.#calm = 0;
    } else if (this.#spikeMs > 0 && ++this.#calm >= DECAY_PACKETS) {
      this.#calm = 0;
      const lower = this.#spikeMs - FRAME_MS;
      this.#spikeMs = lower > SPIKE_MIN_MS ? lower : 0;
    }
  }

  /** Starts timing against a new origin (a new spurt); the estimate is kept. */
  restart(): void {
    this.#offsets.length = 0;
  }
}
