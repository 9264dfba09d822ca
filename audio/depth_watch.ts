/**
 * Whether a jitter buffer's depth should change while it plays. Without tick times
 * it counts ticks: a queue that stays more than a frame above its target for half a
 * second holds a frame too many. With tick times it watches each played frame's slack
 * (how long it waited between arriving and being handed to the device): after 10 s
 * on a calm path in which every frame waited more than a frame plus twice the
 * jitter, a frame may be given back; a frame of the last half second that waited
 * less than the jitter asks for a frame more. Pure: times are passed in.
 *
 * @module
 */

import { FRAME_MS } from "./audio_io.ts";
import { SlackWindow } from "./slack_window.ts";

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
  #excessTicks = 0;

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
    if (nowMs !== undefined && nowMs === this.#lastPopMs) this.#slack.shift(-FRAME_MS);
    if (nowMs !== undefined && arrivedMs !== undefined) this.#slack.add(nowMs - arrivedMs);
    this.#lastPopMs = nowMs;
  }

  /** The player played a tick of silence: every frame now waits 20 ms longer. */
  held(): void {
    this.#slack.shift(FRAME_MS);
  }

  /** The slack seen so far is stale (a spurt started, or an underrun added depth). */
  forgetSlack(): void {
    this.#slack.clear();
  }

  /**
   * Whether a frame may be given back. On a path calm for 10 s with tick times, a
   * frame may go when even the least slack of those 10 s would still cover twice the
   * jitter without it; otherwise when the queue has been more than a frame above its
   * target for half a second.
   */
  surplus(path: PathTiming): boolean {
    const least = this.#slack.least();
    if (least !== undefined && path.calmPackets >= CALM_PACKETS) {
      return least >= FRAME_MS + 2 * path.jitterMs;
    }
    return this.#excessTicks >= DRIFT_TICKS;
  }

  /** Whether a frame of the last half second waited less than `jitterMs`. */
  deficit(jitterMs: number): boolean {
    const least = this.#slack.least(DRIFT_TICKS);
    return least !== undefined && least < jitterMs;
  }
}
