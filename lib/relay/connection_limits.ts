/**
 * What one relay connection may send, and how often the relay answers or logs
 * its misbehaviour: token buckets for texts, voice frames and malformed
 * frames, and throttles so that a flooder can turn neither the relay's replies
 * nor its log into an amplifier. Pure logic over a clock passed in.
 *
 * @module
 */

import { TokenBucket } from "../token_bucket.ts";
import type { RelayOptions } from "./options.ts";

/** The advertised rates a connection is held to (the relay's options of the same names). */
export type RateLimits = Pick<
  RelayOptions,
  "textRate" | "textBurst" | "voiceRate" | "voiceBurst" | "keyShareRate" | "keyShareBurst"
>;

// Text tokens the relay allows beyond the advertised burst, in seconds of rate.
const JITTER_ALLOWANCE_S = 0.25;
// Malformed frames after the hello are answered one by one with a non-fatal
// error; a peer that keeps sending them faster than this is closed.
const BAD_FRAME_RATE = 10;
const BAD_FRAME_BURST = 50;
// Voice over its rate is dropped (late voice is useless), but the talker is
// told, at most once in this many ms.
const VOICE_LIMIT_ERROR_EVERY_MS = 1000;
// Non-fatal errors of one connection are logged at most this often.
const ERROR_LOG_EVERY_MS = 1000;

/** What to do with one voice frame. */
export type VoiceVerdict = "pass" | "drop" | "drop-and-tell";

/** The limits of one connection. */
export class ConnectionLimits {
  // Each bucket is made on first use: a bucket starts full and can hold no
  // more than full, so one made later is in the same state as one made at
  // connect time, and an idle connection (most of them) holds none.
  readonly #o: RateLimits;
  #text: TokenBucket | null = null;
  #voice: TokenBucket | null = null;
  #badFrames: TokenBucket | null = null;
  #keyShares: TokenBucket | null = null;
  #lastVoiceTold = -Infinity;
  #lastErrorLog = -Infinity;
  #suppressedErrors = 0;

  /** Limits at the rates of `o`; every bucket starts full. */
  constructor(o: RateLimits) {
    this.#o = o;
  }

  /** Whether a key share may pass now (excess is dropped; the sender paces itself by the welcome). */
  keyShare(now: number): boolean {
    const o = this.#o;
    this.#keyShares ??= new TokenBucket(o.keyShareRate, o.keyShareBurst, now);
    return this.#keyShares.take(now);
  }

  /** Whether a text may pass now. */
  text(now: number): boolean {
    // The advertised burst plus a quarter second of tokens: a client that sends
    // exactly at the advertised rate right after a full burst must not be refused
    // because its frames arrived a little unevenly.
    const o = this.#o;
    this.#text ??= new TokenBucket(
      o.textRate,
      o.textBurst + Math.ceil(o.textRate * JITTER_ALLOWANCE_S),
      now,
    );
    return this.#text.take(now);
  }

  /** Whether a voice frame passes, is dropped, or is dropped and the talker told. */
  voice(now: number): VoiceVerdict {
    this.#voice ??= new TokenBucket(this.#o.voiceRate, this.#o.voiceBurst, now);
    if (this.#voice.take(now)) return "pass";
    if (now - this.#lastVoiceTold < VOICE_LIMIT_ERROR_EVERY_MS) return "drop";
    this.#lastVoiceTold = now;
    return "drop-and-tell";
  }

  /** Whether one more malformed frame is tolerated (answered, not fatal). */
  badFrame(now: number): boolean {
    this.#badFrames ??= new TokenBucket(BAD_FRAME_RATE, BAD_FRAME_BURST, now);
    return this.#badFrames.take(now);
  }

  /**
   * Whether a non-fatal error is logged now: the number of errors left out of
   * the log since the last logged one, or null to leave this one out too.
   */
  logError(now: number): number | null {
    if (now - this.#lastErrorLog < ERROR_LOG_EVERY_MS) {
      this.#suppressedErrors++;
      return null;
    }
    const suppressed = this.#suppressedErrors;
    this.#lastErrorLog = now;
    this.#suppressedErrors = 0;
    return suppressed;
  }
}
