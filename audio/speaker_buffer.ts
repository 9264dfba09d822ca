/**
 * How large the speaker's device buffer should be. Through ALSA's pulse plugin the
 * buffer size is the playback latency, so it starts at the device's low latency and
 * grows only after the device ran dry under a writer that kept writing (a process
 * stalled longer than the buffer): twice as large, at least 40 ms, at most a cap. A
 * grown buffer costs its size in latency on every frame, so after a calm period (no
 * further stall) it shrinks a step, and only while the audio is quiet, since
 * reopening the device drops what it holds. A stall in the middle of silence (what
 * the device held and what comes next both quiet) is not heard, and does not grow
 * it: a listener's start-up (compiling, deriving the room key) stalls that way, and
 * used to hold 40–60 ms of extra latency over the first 10 s of every talk. Pure:
 * times and levels are passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";

/** Settings of a {@linkcode SpeakerBufferPolicy}; all in seconds. */
export interface SpeakerBufferOptions {
  /** The device's low latency: the size to start at and come back to. */
  lowS: number;
  /** Largest size stalls may grow it to (default 0.1). */
  maxS?: number;
  /** Stall-free time after which a grown buffer shrinks a step (default 10). */
  calmS?: number;
}

/** Smallest grown size: below it, a stall the process just had would run it dry again. */
const MIN_GROWN_S = 0.04;
/** One frame in seconds: quiet frames written in a row are counted in it before a shrink. */
const FRAME_S = FRAME_MS / 1000;

/** Decides the speaker buffer's size from stalls, calm and quiet. */
export class SpeakerBufferPolicy {
  readonly #lowS: number;
  readonly #maxS: number;
  readonly #calmMs: number;
  #sizeS: number;
  #lastChangeMs = -Infinity;
  /** Quiet frames written in a row; a device just opened has held nothing else. */
  #quietFrames = Infinity;

  /** Starts at `lowS`. */
  constructor(options: SpeakerBufferOptions) {
    this.#lowS = options.lowS;
    this.#maxS = Math.max(options.lowS, options.maxS ?? 0.1);
    this.#calmMs = (options.calmS ?? 10) * 1000;
    this.#sizeS = this.#lowS;
  }

  /** Current size in seconds. */
  get sizeS(): number {
    return this.#sizeS;
  }

  /** Whether stalls have grown the buffer past its low latency. */
  get grown(): boolean {
    return this.#sizeS > this.#lowS;
  }

  /**
   * The device ran dry at `nowMs` while audio kept coming; `quiet` says whether the
   * frame now being written is. Returns the larger size to reopen it with, or null
   * when it is already as large as allowed or the gap fell inside silence.
   */
  stalled(nowMs: number, quiet = false): number | null {
    const unheard = quiet && this.#quietFrames * FRAME_S >= this.#sizeS + FRAME_S;
    this.#lastChangeMs = nowMs;
    if (unheard) return null;
    this.#quietFrames = 0;
    if (this.#sizeS >= this.#maxS) return null;
    this.#sizeS = Math.min(this.#maxS, Math.max(2 * this.#sizeS, MIN_GROWN_S));
    return this.#sizeS;
  }

  /**
   * A frame was written at `nowMs`; `quiet` says whether it was. Returns the smaller
   * size to reopen the device with when the buffer may shrink now, else null.
   */
  wrote(nowMs: number, quiet: boolean): number | null {
    this.#quietFrames = quiet ? this.#quietFrames + 1 : 0;
    if (!this.grown || nowMs - this.#lastChangeMs < this.#calmMs) return null;
    // Everything the device holds must be quiet: reopening drops it.
    if (this.#quietFrames * FRAME_S < this.#sizeS + FRAME_S) return null;
    const half = this.#sizeS / 2;
    this.#sizeS = half < MIN_GROWN_S ? this.#lowS : Math.max(this.#lowS, half);
    this.#lastChangeMs = nowMs;
    this.#quietFrames = 0;
    return this.#sizeS;
  }
}
