/**
 * Adaptive playout buffer for one talker's voice packets. Packets arrive with a
 * uint32 sequence number (one per 20 ms frame), possibly late, reordered, duplicated
 * or not at all; the playout loop asks for exactly one frame per 20 ms tick. The
 * buffer holds back a target depth before a talk spurt starts, reports a gap as "lost"
 * so the caller runs Opus concealment, and gives up after a bounded run of gaps (the
 * talker went quiet: back to prefill for the next spurt).
 *
 * The target adapts. It covers twice the smoothed inter-arrival jitter (RFC 3550),
 * which on a quiet path is one or two frames, and also the largest recent lateness
 * spike: a stalled talker, network or listener delivers its backlog in a burst, and
 * packets of such a burst are late by up to the stall. A spike raises the target at
 * once (up to 200 ms); it decays by one frame every few seconds of talk without
 * another, so latency comes back down when the path is calm. A queue deeper than the
 * target is not thrown away: {@linkcode JitterBuffer.surplus} lets the player skip
 * quiet frames to give the time back, and only a queue beyond the largest target plus
 * a margin loses its oldest frames.
 *
 * A player that passes the tick's time to `pop` gets finer timing. A spurt then
 * starts once its frames have waited the cover (twice the jitter, or the spike) past
 * the time the earliest of them showed the path can deliver, instead of once a whole
 * number of frames is queued: on a calm path that is a few milliseconds, not a second
 * frame. While playing, the buffer watches each frame's slack (how long it waited
 * before its tick): when no stall or underrun was seen for 10 s and every frame of
 * those 10 s waited more than a frame plus twice the jitter, a frame is given back
 * ({@linkcode JitterBuffer.surplus}); when a frame of the last half second waited
 * less than the jitter, it asks for a tick of silence ({@linkcode JitterBuffer.deficit}),
 * so the depth follows the jitter both ways. Pure: no clock of its own, times are
 * passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";
import { StallDetector } from "./stall_detector.ts";
import { SlackWindow } from "./slack_window.ts";

/** What one playout tick gets from the buffer. */
export type JitterPop =
  /** Decode and play this payload; `start` marks the first frame of a spurt (fade in). */
  | { kind: "frame"; seq: number; payload: Uint8Array; start: boolean }
  /** Frame `seq` is missing: conceal it; `final` marks the last one before idle (fade out). */
  | { kind: "lost"; seq: number; final: boolean }
  /** Nothing to play (prefilling or idle): play silence. */
  | { kind: "waiting" };

/** Settings of a {@linkcode JitterBuffer}; all depths in milliseconds. */
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

/** Signed distance a - b between uint32 sequence numbers, wrap-around safe. */
export function seqDiff(a: number, b: number): number {
  return ((a - b) | 0);
}

const RECENT_PLAYED = 64;
/** Hard cap on queued packets, whatever their sequence numbers claim. */
const MAX_QUEUED = 256;
/** A packet this far behind the playout point is a restarted sender, not a late one. */
const RESYNC_FRAMES = 250;
/** Ticks the queue must stay above target + 1 before it reports a surplus. */
const DRIFT_TICKS = 25;
/**
 * Ticks of slack, with tick times, that must all leave a frame to spare before one is
 * given back (10 s), and packets without a lateness spike or an underrun before slack
 * alone may give frames back (10 s). Real talks on a loaded machine, replayed with
 * bench/jitter_replay.ts, stall every few seconds: giving back to twice the jitter as
 * soon as the spike estimate had decayed, or after 3 s of slack, concealed more
 * frames than the frame-counting rule; with these, fewer.
 */
const CALM_TICKS = 500;
const CALM_PACKETS = 500;
/** Arrival gaps beyond this are pauses between spurts, not jitter. */
const MAX_JITTER_SAMPLE_MS = 500;

/** Playout buffer for one talker; call `push` on arrival and `pop` every 20 ms. */
export class JitterBuffer {
  readonly #minTarget: number;
  readonly #maxTarget: number;
  readonly #maxLostRun: number;
  readonly #maxExcess: number;
  readonly #queue = new Map<number, Uint8Array>();
  /** Arrival time of each queued packet (when it was timed, i.e. not self-stalled). */
  readonly #arrivals = new Map<number, number>();
  /** Slack of recently played frames; only fed when `pop` is given the time. */
  readonly #slack = new SlackWindow(CALM_TICKS);
  #lastPopMs: number | undefined;
  /** Packets since the last lateness spike or underrun. */
  #calmPackets = 0;
  #playing = false;
  #nextSeq = 0;
  /** Last seq actually played: the boundary below which packets are late while idle. */
  #watermark: number | undefined;
  #lostRun = 0;
  #waitTicks = 0;
  #excessTicks = 0;
  #startPending = false;
  #jitterMs: number;
  #lastArrival: { seq: number; ms: number } | undefined;
  readonly #stalls = new StallDetector(MAX_JITTER_SAMPLE_MS);
  /** Origin of the due times the stall detector sees. */
  #refSeq = 0;
  readonly #recent: number[] = [];
  #stats = {
    received: 0,
    played: 0,
    lost: 0,
    underruns: 0,
    late: 0,
    duplicates: 0,
    dropped: 0,
  };

  /** Creates an empty buffer, waiting for the first spurt. */
  constructor(options: JitterBufferOptions = {}) {
    const minMs = options.minTargetMs ?? FRAME_MS;
    const maxMs = options.maxTargetMs ?? 200;
    if (!(minMs > 0 && maxMs >= minMs)) {
      throw new RangeError(`bad jitter target range ${minMs}..${maxMs} ms`);
    }
    this.#minTarget = Math.max(1, Math.round(minMs / FRAME_MS));
    this.#maxTarget = Math.max(this.#minTarget, Math.round(maxMs / FRAME_MS));
    this.#maxLostRun = Math.max(1, options.maxLostRun ?? 5);
    this.#maxExcess = Math.max(1, Math.round((options.maxExcessMs ?? 200) / FRAME_MS));
    // Until jitter is measured, assume a frame of it: a 60 ms target.
    this.#jitterMs = FRAME_MS;
  }

  /**
   * Target depth in frames: one frame plus 2 × jitter, or plus the recent spike if
   * that is more. The jitter estimate is a mean deviation (RFC 3550), so twice it
   * covers nearly all ordinary arrivals; a sound server that hands over capture two
   * frames at a time measures about 9 ms, which this keeps at 2 frames. A packet late
   * by the spike still arrives before its slot when one frame plus the spike is queued.
   */
  get targetFrames(): number {
    const coverMs = this.coverMs;
    // A fraction of a millisecond over a frame boundary is estimator noise, not a
    // reason for 20 ms more latency.
    const frames = Math.ceil((FRAME_MS + coverMs - 1) / FRAME_MS);
    return Math.min(this.#maxTarget, Math.max(this.#minTarget, frames));
  }

  /** Whether a spurt is being played out (as opposed to prefilling or idle). */
  get playing(): boolean {
    return this.#playing;
  }

  /**
   * True when the queue has stayed above its target for half a second, as it does
   * when the playout clock runs a little slow or a device underran (which delays
   * everything after it), or, with tick times on a path without a stall or underrun
   * for 10 s, when every frame of those 10 s waited more than a frame plus twice
   * the jitter. The caller may
   * then skip a frame, by calling `pop` once more in the same tick, preferably one it
   * finds quiet, to give the 20 ms back.
   */
  get surplus(): boolean {
    if (!this.#playing || !this.#queue.has(this.#nextSeq)) return false;
    // With tick times on a path calm for 10 s: a frame may go when even the least
    // slack of those 10 s would still cover twice the jitter without it. Otherwise
    // the frame-counting rule below holds, with its frame to spare.
    const least = this.#slack.least();
    if (least !== undefined && this.#calmPackets >= CALM_PACKETS) {
      return least >= FRAME_MS + 2 * this.#jitterMs;
    }
    return this.#excessTicks >= DRIFT_TICKS;
  }

  /**
   * True when, with tick times passed to `pop`, a frame of the last half second
   * waited less than the smoothed jitter: the jitter has grown past the depth.
   * The caller may then play a tick of silence instead of calling `pop` (preferably
   * after a quiet frame) and call {@linkcode JitterBuffer.hold}, which adds a frame
   * of depth without concealing anything.
   */
  get deficit(): boolean {
    const least = this.#slack.least(DRIFT_TICKS);
    return this.#playing && least !== undefined && least < this.#jitterMs;
  }

  /** The caller played a tick without popping: every frame now waits 20 ms longer. */
  hold(): void {
    this.#slack.shift(FRAME_MS);
  }

  /**
   * How much lateness the buffer covers, in ms: twice the smoothed jitter or the
   * recent spike, whichever is more.
   */
  get coverMs(): number {
    return Math.max(2 * this.#jitterMs, this.#stalls.spikeMs);
  }

  /** Snapshot of the counters. */
  stats(): JitterStats {
    return {
      depth: this.#depth(),
      targetFrames: this.targetFrames,
      jitterMs: this.#jitterMs,
      spikeMs: this.#stalls.spikeMs,
      ...this.#stats,
    };
  }

  /**
   * Offers a packet that arrived at `arrivalMs` (any monotonic clock). Returns
   * whether it was queued; duplicates and packets past their playout time are not.
   * `selfStalled` says the caller itself was stalled and is only now taking packets
   * that arrived earlier: their timing says nothing about the path, and a deeper
   * target would not help (the caller's own output ran dry meanwhile).
   */
  push(seq: number, payload: Uint8Array, arrivalMs: number, selfStalled = false): boolean {
    seq = seq >>> 0;
    const head = this.#playing ? this.#nextSeq : this.#watermark;
    if (head !== undefined) {
      const behind = this.#playing ? seqDiff(seq, head) < 0 : seqDiff(seq, head) <= 0;
      if (behind && seqDiff(seq, head) < -RESYNC_FRAMES) {
        this.reset();
      } else if (behind) {
        if (this.#recent.includes(seq)) this.#stats.duplicates++;
        else this.#stats.late++;
        return false;
      }
    }
    if (this.#queue.has(seq)) {
      this.#stats.duplicates++;
      return false;
    }
    if (selfStalled) this.#lastArrival = undefined;
    else this.#measureJitter(seq, arrivalMs);
    if (this.#queue.size >= MAX_QUEUED) {
      const oldest = this.#oldestQueued();
      this.#queue.delete(oldest);
      this.#arrivals.delete(oldest);
      this.#stats.dropped++;
    }
    this.#queue.set(seq, payload);
    if (!selfStalled) this.#arrivals.set(seq, arrivalMs);
    this.#stats.received++;
    return true;
  }

  /**
   * Gives what to play for the next 20 ms tick. `nowMs`, on the clock of `push`, is
   * when the tick's frame is handed to the device; with it the buffer times a spurt's
   * start and its own depth in milliseconds rather than whole frames.
   */
  pop(nowMs?: number): JitterPop {
    if (!this.#playing) {
      if (this.#queue.size === 0) return { kind: "waiting" };
      this.#waitTicks++;
      // A spurt shorter than the target would never fill it: start anyway once it
      // has waited as long as a full prefill would have taken.
      if (
        this.#depth() < this.targetFrames && this.#waitTicks < this.targetFrames &&
        !this.#coveredAt(nowMs)
      ) {
        return { kind: "waiting" };
      }
      this.#playing = true;
      this.#startPending = true;
      this.#waitTicks = 0;
      this.#nextSeq = this.#oldestQueued();
      this.#lostRun = 0;
      this.#slack.clear();
    }
    this.#catchUp();
    const seq = this.#nextSeq;
    const payload = this.#queue.get(seq);
    if (payload !== undefined) {
      this.#queue.delete(seq);
      const arrived = this.#arrivals.get(seq);
      this.#arrivals.delete(seq);
      // A second pop in one tick skips a frame: every frame now waits 20 ms less.
      if (nowMs !== undefined && nowMs === this.#lastPopMs) this.#slack.shift(-FRAME_MS);
      if (nowMs !== undefined && arrived !== undefined) this.#slack.add(nowMs - arrived);
      this.#lastPopMs = nowMs;
      this.#nextSeq = (seq + 1) >>> 0;
      this.#notePlayed(seq);
      const start = this.#startPending;
      this.#startPending = false;
      return { kind: "frame", seq, payload, start };
    }
    return this.#missing(seq);
  }

  /** Forgets everything about the current stream except the jitter and spike estimates. */
  reset(): void {
    this.#queue.clear();
    this.#arrivals.clear();
    this.#slack.clear();
    this.#playing = false;
    this.#watermark = undefined;
    this.#lastArrival = undefined;
    this.#stalls.restart();
    this.#recent.length = 0;
    this.#lostRun = 0;
    this.#waitTicks = 0;
  }

  /**
   * Whether, at `nowMs`, the queued frames have waited the cover past their due time
   * as the earliest of them sets it (a packet that came early shows how soon the path
   * can deliver; the first one may itself have been late).
   */
  #coveredAt(nowMs: number | undefined): boolean {
    if (nowMs === undefined) return false;
    const head = this.#oldestQueued();
    let earliest = Infinity;
    for (const [seq, at] of this.#arrivals) {
      earliest = Math.min(earliest, at - seqDiff(seq, head) * FRAME_MS);
    }
    return nowMs >= earliest + this.coverMs;
  }

  #missing(seq: number): JitterPop {
    this.#lostRun++;
    this.#stats.lost++;
    // An underrun already adds a frame of depth: the slack seen so far is stale.
    this.#slack.clear();
    if (this.#queue.size === 0) {
      // Nothing newer has arrived: the packet may merely be delayed, so conceal
      // without moving on (it still plays if it shows up), until the run says idle.
      this.#stats.underruns++;
      if (this.#lostRun === 1) this.#calmPackets = 0;
      if (this.#lostRun >= this.#maxLostRun) {
        this.#goIdle();
        return { kind: "lost", seq, final: true };
      }
      return { kind: "lost", seq, final: false };
    }
    this.#nextSeq = (seq + 1) >>> 0;
    if (this.#lostRun >= this.#maxLostRun) {
      // A long hole before queued audio: skip straight to it, counting the rest lost.
      const oldest = this.#oldestQueued();
      this.#stats.lost += Math.max(0, seqDiff(oldest, this.#nextSeq));
      this.#nextSeq = oldest;
      this.#lostRun = 0;
    }
    return { kind: "lost", seq, final: false };
  }

  #goIdle(): void {
    this.#playing = false;
    this.#lostRun = 0;
    this.#waitTicks = 0;
    // Arrival history is kept: a stall long enough to run the queue dry also sends us
    // here, and its backlog must still count as late (a real pause is told apart by
    // its length, in #measureJitter).
  }

  #catchUp(): void {
    const target = this.targetFrames;
    if (this.#depth() > target + 1) this.#excessTicks++;
    else this.#excessTicks = 0;
    // Only a backlog beyond any target this buffer would choose is thrown away (its
    // oldest part); a smaller one is given back by skipping quiet frames (`surplus`).
    if (this.#depth() <= this.#maxTarget + this.#maxExcess) return;
    const newest = this.#newestQueued();
    const keepFrom = (newest - this.#maxTarget + 1) >>> 0;
    for (const seq of [...this.#queue.keys()]) {
      if (seqDiff(seq, keepFrom) < 0) {
        this.#queue.delete(seq);
        this.#arrivals.delete(seq);
        this.#stats.dropped++;
      }
    }
    this.#nextSeq = keepFrom;
  }

  #measureJitter(seq: number, arrivalMs: number): void {
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

  #notePlayed(seq: number): void {
    this.#watermark = seq;
    this.#lostRun = 0;
    this.#stats.played++;
    this.#recent.push(seq);
    if (this.#recent.length > RECENT_PLAYED) this.#recent.shift();
  }

  #depth(): number {
    if (this.#queue.size === 0) return 0;
    const head = this.#playing ? this.#nextSeq : this.#oldestQueued();
    return Math.max(0, seqDiff(this.#newestQueued(), head) + 1);
  }

  #oldestQueued(): number {
    let best: number | undefined;
    for (const seq of this.#queue.keys()) {
      if (best === undefined || seqDiff(seq, best) < 0) best = seq;
    }
    return best ?? this.#nextSeq;
  }

  #newestQueued(): number {
    let best: number | undefined;
    for (const seq of this.#queue.keys()) {
      if (best === undefined || seqDiff(seq, best) > 0) best = seq;
    }
    return best ?? this.#nextSeq;
  }
}
