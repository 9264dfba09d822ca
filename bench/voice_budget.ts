/**
 * The latency budget of bench/voice_latency.ts: splits each tone burst's mouth to
 * ear into stages from the two clients' voice traces (lib/voice/trace.ts, one JSON
 * line per event, epoch milliseconds shared by both processes). The talker logs every
 * captured frame (read, sent, onset sample); the listener logs the frame in which a
 * burst's onset is played (arrival, jitter-buffer pop, write, speaker queue). What the
 * traces cannot see, the sound server's and ALSA's share at both ends, is what the
 * recording's mouth-to-ear figure leaves over.
 *
 * @module
 */

import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from "../audio/audio_io.ts";

/** One line of a trace file. */
export type TraceEvent = Record<string, number | string | null>;

/** Stage durations of one burst, in ms. */
export interface BurstBudget {
  /** Opus lookahead: how far the decoded onset sits behind the captured one. */
  codec: number;
  /** Encoding and sealing the frame (read returned → handed to the socket). */
  encode: number;
  /** Socket → relay → socket → opened, on loopback. */
  network: number;
  /** Waiting in the jitter buffer (arrival → popped for playout). */
  jitter: number;
  /** Popped → written to the device (the playout tick). */
  tick: number;
  /** Audio queued in the speaker device ahead of this frame. */
  cushion: number;
  /** Jitter-buffer target in frames when this frame played. */
  target: number;
}

/** Reads a trace file written through `AM_VOICE_TRACE`. */
export function readTrace(path: string): TraceEvent[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as TraceEvent);
}

/** Each burst played by the listener, matched to the talker's capture of it. */
export function burstBudgets(talker: TraceEvent[], listener: TraceEvent[]): BurstBudget[] {
  const caps = new Map<number, TraceEvent>();
  for (const e of talker) if (e.s === "cap") caps.set(e.seq as number, e);
  const onsets = talker.filter((e) => e.s === "cap" && (e.on as number) >= 0)
    .map((e) => e.seq as number);
  const out: BurstBudget[] = [];
  const plays = listener.filter((e) => e.s === "play");
  const played = new Set(plays.map((e) => e.seq as number));
  for (const p of plays) {
    const seq = p.seq as number;
    // A burst spans two frames; the second one continues it, it does not start one.
    if (played.has(seq - 1)) continue;
    const cap = caps.get(seq);
    // The captured onset this played onset belongs to: the last one at or before it.
    const from = onsets.filter((s) => s <= seq && seq - s <= 2).pop();
    if (!cap || from === undefined) continue;
    const onA = caps.get(from)!.on as number;
    const codecSamples = (seq - from) * FRAME_SAMPLES + (p.on as number) - onA;
    out.push({
      codec: (codecSamples / SAMPLE_RATE) * 1000,
      encode: (cap.tx as number) - (cap.t as number),
      network: (p.arr as number) - (cap.tx as number),
      jitter: (p.pop as number) - (p.arr as number),
      tick: (p.w as number) - (p.pop as number),
      cushion: (p.q as number | null) ?? NaN,
      target: p.target as number,
    });
  }
  return out;
}

/**
 * How late the talker's capture hands frames over, per frame: its read time against
 * the earliest (read time − seq × 20 ms) of the 50 frames around it. A sound server
 * that delivers two frames at once makes every other frame 20 ms late.
 */
export function captureLateness(talker: TraceEvent[]): number[] {
  const offs = talker.filter((e) => e.s === "cap").map((e) =>
    (e.t as number) - (e.seq as number) * FRAME_MS
  );
  return offs.map((o, i) => o - Math.min(...offs.slice(Math.max(0, i - 25), i + 25)));
}

/** Concealed frames the listener reported at close (NaN when it did not). */
export function concealedFrames(listener: TraceEvent[]): number {
  const stats = listener.filter((e) => e.s === "stats").pop();
  return stats ? (stats.concealed as number) : NaN;
}
