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
 * frame. While playing, a {@linkcode DepthWatch} judges from each frame's slack (how
 * long it waited before its tick) whether a frame can be given back
 * ({@linkcode JitterBuffer.surplus}) or one more is needed ({@linkcode JitterBuffer.deficit}),
 * so the depth follows the jitter both ways. Pure: no clock of its own, times are
 * passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";
import { FrameQueue, seqDiff } from "./frame_queue.ts";
import { JitterEstimator } from "./jitter_estimator.ts";
import { DepthWatch } from "./depth_watch.ts";
import {
  type JitterBufferOptions,
  type JitterPop,
  type JitterSettings,
  jitterSettings,
  type JitterStats,
} from "./jitter_types.ts";

export type { JitterBufferOptions, JitterPop, JitterStats } from "./jitter_types.ts";
export { seqDiff } from "./frame_queue.ts";

const RECENT_PLAYED = 64;
/** Hard cap on queued packets, whatever their sequence numbers claim. */
const MAX_QUEUED = 256;
/** A packet this far behind the playout point is a restarted sender, not a late one. */
const RESYNC_FRAMES = 250;

/** Playout buffer for one talker; call `push` on arrival and `pop` every 20 ms. */
export class JitterBuffer {
  readonly #o: JitterSettings;
  readonly #queue = new FrameQueue(MAX_QUEUED);
  readonly #timing = new JitterEstimator();
  readonly #watch = new DepthWatch();
  #playing = false;
  #nextSeq = 0;
  /** Last seq actually played: the boundary below which packets are late while idle. */
  #watermark: number | undefined;
  #lostRun = 0;
  #waitTicks = 0;
  #startPending = false;
  readonly #recent: number[] = [];
  #stats = { received: 0, played: 0, lost: 0, underruns: 0, late: 0, duplicates: 0, dropped: 0 };

  /** Creates an empty buffer, waiting for the first spurt. */
  constructor(options: JitterBufferOptions = {}) {
    this.#o = jitterSettings(options);
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
    return Math.min(this.#o.maxTarget, Math.max(this.#o.minTarget, frames));
  }

  /** Whether a spurt is being played out (as opposed to prefilling or idle). */
  get playing(): boolean {
    return this.#playing;
  }

  /**
   * True when the queue has stayed above its target for half a second, as it does
   * when the playout clock runs a little slow or a device underran (which delays
   * everything after it), or, with tick times on a path without a stall or underrun
   * for 10 s, when every frame of those 10 s waited more than a frame plus twice the
   * jitter. The caller may then skip a frame, by calling `pop` once more in the same
   * tick, preferably one it finds quiet, to give the 20 ms back.
   */
  get surplus(): boolean {
    if (!this.#playing || !this.#queue.has(this.#nextSeq)) return false;
    return this.#watch.surplus(this.#timing);
  }

  /**
   * True when, with tick times passed to `pop`, a frame of the last half second
   * waited less than the smoothed jitter: the jitter has grown past the depth.
   * The caller may then play a tick of silence instead of calling `pop` (preferably
   * after a quiet frame) and call {@linkcode JitterBuffer.hold}, which adds a frame
   * of depth without concealing anything.
   */
  get deficit(): boolean {
    return this.#playing && this.#watch.deficit(this.#timing.jitterMs);
  }

  /**
   * How many whole ms of the frame just popped the caller may cut off (0 for none),
   * with tick times on a path calm for 2 s: what every frame of the last 2–10 s
   * waited beyond twice the jitter and a margin. A frame played that much shorter
   * brings the next tick sooner, so frames wait only as long as the path needs
   * rather than up to a frame more by the chance phase of the tick against the
   * arrivals. Call {@linkcode JitterBuffer.trimmed} with what was cut.
   */
  get trimMs(): number {
    return this.#playing ? this.#watch.trim(this.#timing) : 0;
  }

  /**
   * How many ms after `nowMs` a spurt still waiting will have waited its cover, as
   * {@linkcode JitterBuffer.pop} with tick times judges it; Infinity while playing or
   * empty. A player whose next tick would come later may play the current one shorter,
   * so that a talk starts when the path allows rather than up to a frame later by the
   * chance phase of the tick against the arrivals.
   */
  startsInMs(nowMs: number): number {
    if (this.#playing || this.#queue.size === 0) return Infinity;
    return this.#queue.earliestDue(this.#oldestQueued()) + this.coverMs - nowMs;
  }

  /** The caller played a frame `ms` shorter: every frame now waits that much less. */
  trimmed(ms: number): void {
    this.#watch.trimmed(ms);
  }

  /** The caller played a tick without popping: every frame now waits 20 ms longer. */
  hold(): void {
    this.#watch.held();
  }

  /** How much lateness the buffer covers, in ms ({@linkcode JitterEstimator.coverMs}). */
  get coverMs(): number {
    return this.#timing.coverMs;
  }

  /** Snapshot of the counters. */
  stats(): JitterStats {
    return {
      depth: this.#depth(),
      targetFrames: this.targetFrames,
      jitterMs: this.#timing.jitterMs,
      spikeMs: this.#timing.spikeMs,
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
    if (selfStalled) this.#timing.untimed();
    else this.#timing.observe(seq, arrivalMs);
    if (this.#queue.add(seq, payload, selfStalled ? undefined : arrivalMs)) this.#stats.dropped++;
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
      this.#watch.spurtStarted();
    }
    this.#catchUp();
    const seq = this.#nextSeq;
    const taken = this.#queue.take(seq);
    if (taken !== undefined) {
      const { payload, arrivedMs: arrived } = taken;
      this.#watch.played(nowMs, arrived);
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
    this.#watch.forgetSlack();
    this.#playing = false;
    this.#watermark = undefined;
    this.#timing.restart();
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
    return nowMs >= this.#queue.earliestDue(this.#oldestQueued()) + this.coverMs;
  }

  #missing(seq: number): JitterPop {
    this.#lostRun++;
    this.#stats.lost++;
    // An underrun already adds a frame of depth: the slack seen so far is stale.
    this.#watch.forgetSlack();
    if (this.#queue.size === 0) {
      // Nothing newer has arrived: the packet may merely be delayed, so conceal
      // without moving on (it still plays if it shows up), until the run says idle.
      this.#stats.underruns++;
      if (this.#lostRun === 1) this.#timing.disturbed();
      if (this.#lostRun >= this.#o.maxLostRun) {
        this.#goIdle();
        return { kind: "lost", seq, final: true };
      }
      return { kind: "lost", seq, final: false };
    }
    this.#nextSeq = (seq + 1) >>> 0;
    if (this.#lostRun >= this.#o.maxLostRun) {
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
    // its length, by the JitterEstimator).
  }

  #catchUp(): void {
    const target = this.targetFrames;
    this.#watch.tick(this.#depth(), target);
    // Only a backlog beyond any target this buffer would choose is thrown away (its
    // oldest part); a smaller one is given back by skipping quiet frames (`surplus`).
    if (this.#depth() <= this.#o.maxTarget + this.#o.maxExcess) return;
    const newest = this.#newestQueued();
    const keepFrom = (newest - this.#o.maxTarget + 1) >>> 0;
    this.#stats.dropped += this.#queue.dropBefore(keepFrom);
    this.#nextSeq = keepFrom;
  }

  #notePlayed(seq: number): void {
    this.#watermark = seq;
    this.#lostRun = 0;
    this.#stats.played++;
    this.#recent.push(seq);
    if (this.#recent.length > RECENT_PLAYED) this.#recent.shift();
  }

  #depth(): number {
    return this.#queue.spanFrom(this.#playing ? this.#nextSeq : this.#oldestQueued());
  }

  #oldestQueued(): number {
    return this.#queue.oldest(this.#nextSeq);
  }

  #newestQueued(): number {
    return this.#queue.newest(this.#nextSeq);
  }
}
