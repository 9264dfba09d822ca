/**
 * Whether a jitter buffer's depth should change while it plays. Without tick times
 * it counts ticks: a queue that stays more than a frame above its target for half a
 * second holds a frame too many. With tick times it watches each played frame's slack
 * (how long it waited between arriving and being handed to the device): after 10 s
 * on a calm path in which every frame waited more than a frame plus twice the
 * jitter, a frame may be given back; after 2 s on a calm path, the part of a frame
 * that every frame since (up to 10 s) waited beyond twice the jitter and a margin may
 * be trimmed off, which moves the player's tick to just after the arrivals; a frame
 * of the last half second that waited less than the jitter asks for a frame more.
 * Pure: times are passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";
import { SlackWindow } from "./slack_window.ts";

/** Ticks the queue must stay above target + 1 before it reports a surplus. */
const DRIFT_TICKS = 25;
/** Frames at a spurt's start whose slack is forgotten once they have played (0.5 s). */
const START_SLACK_FRAMES = 25;
/** The first second of a spurt, in ticks: where a talker's warm-up sets its start late. */
const START_TICKS = 50;
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
/**
 * Ticks of slack, and packets without a spike or underrun, before a part of a frame is
 * trimmed (2 s). Trimming keeps twice the jitter plus {@linkcode TRIM_MARGIN_MS} more
 * than the least slack of up to 10 s, and a deficit grows the depth back by a frame,
 * so it may act sooner than a whole frame's give-back. Replayed over 43 recorded talks
 * (bench/jitter_replay.ts), 2 s with a 10 ms margin concealed no more than the buffer
 * without trims; 2–8 ms, or the least of only the last 2 s, concealed more.
 */
const TRIM_TICKS = 100;
/** Slack kept beyond twice the jitter when trimming, in ms. */
const TRIM_MARGIN_MS = 10;
/** A gap between two ticks' pops beyond this is a stall of the player, not of the path. */
const PLAYER_STALL_MS = 3 * FRAME_MS;
/**
 * Ticks in a row that must all come late (or all early) against the player's schedule
 * before the slack kept is moved by the least of their offsets. One late tick followed
 * by an early one is the player waking late and catching up; three in a row is the
 * schedule itself moving, as when the sound server stalls for a tick or two.
 */
const SHIFT_TICKS = 3;
/** Smallest trim worth a cut in the audio, in ms. */
const MIN_TRIM_MS = 2;
/** Largest trim of one frame, in ms: a frame is never dropped whole this way. */
const MAX_TRIM_MS = FRAME_MS - 1;

/** How the path behaved, as a {@linkcode JitterEstimator} tells it. */
export interface PathTiming {
  /** Smoothed inter-arrival jitter in ms. */
  readonly jitterMs: number;
  /** Packets since the last lateness spike or underrun. */
  readonly calmPackets: number;
}

/** Watches a playing jitter buffer's depth against its target and its frames' slack. */
export class DepthWatch {
  /** Slack of recently played frames; only fed when the player gives tick times. */
  readonly #slack = new SlackWindow(CALM_TICKS);
  #lastPopMs: number | undefined;
  /** When the next tick was due on the player's schedule (holds and trims counted). */
  #dueMs: number | undefined;
  /** How late each of the last ticks came against {@linkcode DepthWatch.#dueMs}. */
  readonly #offsets: number[] = [];
  #excessTicks = 0;
  /** Frames of a spurt's start still to be played. */
  #startFrames = 0;
  /** Slacks kept that are of a spurt's start (the oldest ones), left out of trims and give-backs. */
  #startKept = 0;
  /** The last surplus answered came from the frame count (not from slack). */
  #countedSurplus = false;

  /** A tick began with the queue `depth` frames deep against a target of `target`. */
  tick(depth: number, target: number): void {
    if (depth > target + 1) this.#excessTicks++;
    else this.#excessTicks = 0;
  }

  /**
   * A frame that arrived at `arrivedMs` was played at tick time `nowMs` (either
   * unknown when the player or the path gave no time). A second frame in one tick
   * skips a frame: every frame now waits 20 ms less.
   */
  played(nowMs: number | undefined, arrivedMs: number | undefined): void {
    if (nowMs !== undefined && nowMs === this.#lastPopMs) {
      // A skip the frame count asked for: the queue stood more than a frame above its
      // target for the last half second, so the path delivers sooner now than it did
      // before that (typically a talker whose first frames came late as its capture and
      // encoder warmed up). Slack from before the half second, moved down by the skip,
      // would read as frames that came too late for the new depth and hold off every
      // trim and give-back for 10 s; only the half second that showed the surplus is kept.
      if (this.#countedSurplus && this.#slack.size <= START_TICKS + DRIFT_TICKS) {
        this.#startKept = Math.max(0, this.#startKept - (this.#slack.size - DRIFT_TICKS));
        this.#slack.keepLast(DRIFT_TICKS);
      }
      this.#slack.shift(-FRAME_MS);
    }
    this.#countedSurplus = false;
    // A tick this late means the player itself (or its sound server) stalled: every
    // frame since waits that much longer, so the slack kept describes a depth gone,
    // and would hold the added wait for 10 s. Trims give it back 2 s later.
    if (nowMs !== undefined && nowMs - (this.#lastPopMs ?? nowMs) > PLAYER_STALL_MS) {
      this.#slack.clear();
      this.#startKept = 0;
      this.#dueMs = undefined;
    }
    if (nowMs !== undefined && nowMs !== this.#lastPopMs) this.#keepSchedule(nowMs);
    if (nowMs !== undefined && arrivedMs !== undefined) {
      if (this.#slack.size === CALM_TICKS && this.#startKept > 0) this.#startKept--;
      this.#slack.add(nowMs - arrivedMs);
      if (this.#startFrames > 0) this.#startKept++;
    }
    if (this.#startFrames > 0) this.#startFrames--;
    this.#lastPopMs = nowMs;
  }

  /** The player played a tick of silence: every frame now waits 20 ms longer. */
  held(): void {
    this.#slack.shift(FRAME_MS);
    if (this.#dueMs !== undefined) this.#dueMs += FRAME_MS;
  }

  /**
   * Follows the player's schedule, one tick a frame. When the last few ticks all came
   * late (the sound server stalled: every frame after waits that much longer) or all
   * early, the slack kept is moved by the least of it, so that it describes the depth
   * as it now is. Without this, a stall of a tick or two added its 20–40 ms for up to
   * 10 s: the slack from before it held off every trim (bench/analysis.md).
   */
  #keepSchedule(nowMs: number): void {
    if (this.#dueMs === undefined) {
      this.#dueMs = nowMs + FRAME_MS;
      this.#offsets.length = 0;
      return;
    }
    this.#offsets.push(nowMs - this.#dueMs);
    if (this.#offsets.length > SHIFT_TICKS) this.#offsets.shift();
    this.#dueMs += FRAME_MS;
    if (this.#offsets.length < SHIFT_TICKS) return;
    const least = Math.min(...this.#offsets);
    const most = Math.max(...this.#offsets);
    const moved = least > 0 ? least : most < 0 ? most : 0;
    if (moved === 0) return;
    this.#slack.shift(moved);
    this.#dueMs += moved;
    for (let i = 0; i < this.#offsets.length; i++) this.#offsets[i] -= moved;
  }

  /** The slack seen so far is stale (a spurt started, or an underrun added depth). */
  forgetSlack(): void {
    this.#dueMs = undefined;
    this.#slack.clear();
    this.#startFrames = 0;
    this.#startKept = 0;
  }

  /**
   * A spurt started: its first half second tells of the talker's start (a capture
   * stream opening, its first frames handed over late or in a bunch) more than of the
   * path, and a frame that waited less then would hold off every trim and give-back
   * for 10 s. Their slack counts towards a deficit only.
   */
  spurtStarted(): void {
    this.forgetSlack();
    this.#startFrames = START_SLACK_FRAMES;
  }

  /**
   * Whether a frame may be given back. On a path calm for 10 s with tick times, a
   * frame may go when even the least slack of those 10 s would still cover twice the
   * jitter without it; otherwise when the queue has been more than a frame above its
   * target for half a second.
   */
  surplus(path: PathTiming): boolean {
    const pathSlack = this.#slack.size - this.#startKept;
    const least = pathSlack >= CALM_TICKS ? this.#slack.least(pathSlack) : undefined;
    if (least !== undefined && path.calmPackets >= CALM_PACKETS) {
      return least >= FRAME_MS + 2 * path.jitterMs;
    }
    this.#countedSurplus = this.#excessTicks >= DRIFT_TICKS;
    return this.#countedSurplus;
  }

  /**
   * How many whole ms of the current frame may be trimmed off (0 for none): with tick
   * times on a path calm for 2 s, the least slack kept (2–10 s of it) beyond twice the
   * jitter and a 10 ms margin, up to a frame less 1 ms. Playing a frame that much shorter
   * brings the next tick, and every later one, that much sooner.
   */
  trim(path: PathTiming): number {
    if (path.calmPackets < TRIM_TICKS) return 0;
    // The least over all the slack kept (up to 10 s), not only the last 2 s: a path
    // that was slow a few seconds ago may be again (replayed talks conceal less so).
    const pathSlack = this.#slack.size - this.#startKept;
    if (pathSlack < TRIM_TICKS) return 0;
    const least = this.#slack.least(pathSlack)!;
    const spare = Math.floor(least - 2 * path.jitterMs - TRIM_MARGIN_MS);
    return spare >= MIN_TRIM_MS ? Math.min(spare, MAX_TRIM_MS) : 0;
  }

  /** The player cut `ms` off a frame: every frame now waits that much less. */
  trimmed(ms: number): void {
    this.#slack.shift(-ms);
    if (this.#dueMs !== undefined) this.#dueMs -= ms;
  }

  /** Whether a frame of the last half second waited less than `jitterMs`. */
  deficit(jitterMs: number): boolean {
    const least = this.#slack.least(DRIFT_TICKS);
    return least !== undefined && least < jitterMs;
  }
}
