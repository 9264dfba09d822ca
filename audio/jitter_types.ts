/**
 * What a jitter buffer (jitter_buffer.ts) takes and gives: its settings, checked and
 * turned into frames, what one playout tick gets from it, and the counters it keeps
 * for the UI and tests.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";

/** What one playout tick gets from the buffer. */
export type JitterPop =
  /** Decode and play this payload; `start` marks the first frame of a spurt (fade in). */
  | { kind: "frame"; seq: number; payload: Uint8Array; start: boolean }
  /** Frame `seq` is missing: conceal it; `final` marks the last one before idle (fade out). */
  | { kind: "lost"; seq: number; final: boolean }
  /** Nothing to play (prefilling or idle): play silence. */
  | { kind: "waiting" };

/** Settings of a jitter buffer; all depths in milliseconds. */
export interface JitterBufferOptions {
  /** Smallest target depth (default 20 ms). */
  minTargetMs?: number;
  /** Largest target depth, reached after long stalls (default 200 ms). */
  maxTargetMs?: number;
  /** Missing frames in a row reported as lost before the talker is idle (default 5). */
  maxLostRun?: number;
  /** Depth beyond the largest target at which the oldest frames are dropped (default 200 ms). */
  maxExcessMs?: number;
}

/** Counters and current state, for the UI and tests. */
export interface JitterStats {
  /** Frames spanned by the queue (head to newest), i.e. the buffered latency. */
  depth: number;
  /** Current target depth in frames. */
  targetFrames: number;
  /** Smoothed inter-arrival jitter estimate in ms. */
  jitterMs: number;
  /** Largest recent lateness spike in ms (decaying), 0 when none. */
  spikeMs: number;
  /** Packets accepted into the queue. */
  received: number;
  /** Frames handed out for playing. */
  played: number;
  /** Frames reported lost (including underruns) or skipped. */
  lost: number;
  /** Lost reports made because the queue was empty. */
  underruns: number;
  /** Packets that arrived after their playout time. */
  late: number;
  /** Packets received twice. */
  duplicates: number;
  /** Queued frames discarded to catch up with a queue grown too deep. */
  dropped: number;
}

/** {@linkcode JitterBufferOptions} with defaults filled in, in frames. */
export interface JitterSettings {
  /** Smallest target depth. */
  minTarget: number;
  /** Largest target depth. */
  maxTarget: number;
  /** Missing frames in a row reported as lost before the talker is idle. */
  maxLostRun: number;
  /** Depth beyond the largest target at which the oldest frames are dropped. */
  maxExcess: number;
}

/** Fills in the defaults and converts to frames; a bad target range is a `RangeError`. */
export function jitterSettings(options: JitterBufferOptions): JitterSettings {
  const minMs = options.minTargetMs ?? FRAME_MS;
  const maxMs = options.maxTargetMs ?? 200;
  if (!(minMs > 0 && maxMs >= minMs)) {
    throw new RangeError(`bad jitter target range ${minMs}..${maxMs} ms`);
  }
  const minTarget = Math.max(1, Math.round(minMs / FRAME_MS));
  return {
    minTarget,
    maxTarget: Math.max(minTarget, Math.round(maxMs / FRAME_MS)),
    maxLostRun: Math.max(1, options.maxLostRun ?? 5),
    maxExcess: Math.max(1, Math.round((options.maxExcessMs ?? 200) / FRAME_MS)),
  };
}
