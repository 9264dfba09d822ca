/**
 * Voice in the client: the talking half (microphone → silence detection →
 * fades → Opus → sealed voice frames, with the floor asked of the relay) and
 * the listening half ({@linkcode VoicePlayout}). The echo bot's sound check
 * lives here too: it keeps what a talker said and plays it back when the
 * talker is done.
 *
 * @module
 */

import type { AudioSink, AudioSource } from "../../audio/audio_io.ts";
import { FRAME_MS } from "../../audio/audio_io.ts";
import { fadeInPlace, fadeOutPlace } from "../../audio/fade.ts";
import { OpusEncoder } from "../../audio/opus_codec.ts";
import { warmUpOpus } from "../../audio/opus_warm_up.ts";
import { warmUpVoiceCipher } from "../e2e/voice_warm_up.ts";
import { VoiceActivityDetector } from "../../audio/vad.ts";
import type { ChatClient } from "../client/chat_client.ts";
import type { VoiceControl } from "../client/app.ts";
import type { ClientEvent } from "../client/events.ts";
import type { Member } from "../protocol.ts";
import { VoicePlayout } from "./playout.ts";
import { epochMs, onsetIndex, VoiceTrace } from "./trace.ts";

/** Settings of the voice side. */
export interface VoiceOptions {
  /** Microphone, or null when this client cannot talk. */
  source: AudioSource | null;
  /** Speaker, or null when this client does not listen. */
  sink: AudioSink | null;
  /** Peak below which a frame is silent. */
  vadThreshold: number;
  /** Silence that ends a talk, in ms. */
  vadHangoverMs: number;
  /** Play each talker's words back once they are done (the echo bot). */
  echo: boolean;
  /** Peak (0..32767) of each microphone frame while talking; null when the talk ends. */
  onLevel: (peak: number | null) => void;
  /** Tells the user something. */
  notice: (message: string) => void;
}

/** Before any voice is heard, a talk is not ended by silence sooner than this. */
const START_GRACE_MS = 3000;
/** The echo bot keeps at most this much of one talk. */
const ECHO_MAX_FRAMES = 30_000 / FRAME_MS;

/** The voice side of one client. */
export class VoiceController implements VoiceControl {
  readonly #client: ChatClient;
  readonly #o: VoiceOptions;
  readonly #playout: VoicePlayout | null;
  readonly #echoTakes = new Map<string, Uint8Array[]>();
  #talking = false;
  /** Push-to-talk: silence does not end the current talk, only {@linkcode stopTalking}. */
  #held = false;
  /** Number of the latest talk: a capture loop of an earlier one ends at its next frame. */
  #talkNo = 0;
  #capture: Promise<void> = Promise.resolve();
  #echoing: Promise<void> = Promise.resolve();
  /**
   * Settles once the codec has run long enough to be compiled optimized
   * (audio/opus_warm_up.ts); a client says it is ready for voice after that.
   */
  readonly warmedUp: Promise<void>;

  /** Voice for `client` with the given devices. */
  constructor(client: ChatClient, o: VoiceOptions) {
    this.#client = client;
    this.#o = o;
    // Now rather than in the first talk, where it made the first frames late.
    if (o.source || o.sink) {
      this.warmedUp = warmUpOpus().catch((err) => o.notice(`voice codec failed: ${err}`));
      warmUpVoiceCipher();
    } else {
      this.warmedUp = Promise.resolve();
    }
    this.#playout = o.sink ? new VoicePlayout(o.sink) : null;
  }

  /** Whether this client is talking. */
  get talking(): boolean {
    return this.#talking;
  }

  /** Names of the microphone and speaker in use; null for one this client lacks. */
  get devices(): { mic: string | null; speaker: string | null } {
    return { mic: this.#o.source?.name ?? null, speaker: this.#o.sink?.name ?? null };
  }

  /**
   * Starts talking: asks for the floor and streams the microphone until
   * silence or stop; `held` (push-to-talk) streams until stop only.
   */
  startTalking(held = false): void {
    const source = this.#o.source;
    if (!source) return this.#o.notice("no microphone: this client can listen but not talk");
    if (this.#talking) return;
    this.#talking = true;
    this.#held = held;
    const talk = ++this.#talkNo;
    // After the previous talk's loop has let go of the microphone and the floor.
    this.#capture = this.#capture.then(() => this.#captureLoop(source, talk)).catch((err) => {
      if (talk === this.#talkNo) this.#talking = false;
      this.#o.notice(`microphone failed: ${err instanceof Error ? err.message : err}`);
    });
  }

  /** Stops talking after the frame being captured (faded out). */
  stopTalking(): void {
    this.#talking = false;
  }

  /** Sees floor events: a denial or a release by the relay ends our talk. */
  onEvent(e: ClientEvent): void {
    const self = this.#client.nick;
    if (e.event === "floor-denied" && this.#talking) this.#talking = false;
    else if (e.event === "talk-end" && e.nick === self) this.#talking = false;
    else if (e.event === "talk-end" && this.#o.echo) this.#replay(e.nick);
  }

  /** Takes an opened voice frame of another member. */
  receive(from: Member, counter: number, payload: Uint8Array): void {
    this.#playout?.receive(from.session, counter, payload);
    if (this.#o.echo) {
      const take = this.#echoTakes.get(from.nick) ?? [];
      if (take.length < ECHO_MAX_FRAMES) take.push(payload);
      this.#echoTakes.set(from.nick, take);
    }
  }

  /** Resolves when no talk (nor echo replay) is under way. */
  async idle(): Promise<void> {
    await this.#capture;
    await this.#echoing;
  }

  /** Stops audio; a WAV recording is complete afterwards. */
  async close(): Promise<void> {
    this.#talking = false;
    await this.idle();
    await this.#o.source?.close();
    await this.#playout?.close();
  }

  async #captureLoop(source: AudioSource, talk: number): Promise<void> {
    const vad = new VoiceActivityDetector({
      threshold: this.#o.vadThreshold,
      hangoverMs: this.#o.vadHangoverMs,
    });
    const encoder = new OpusEncoder();
    const trace = VoiceTrace.fromEnv();
    this.#client.talk(true);
    let started = false;
    try {
      await source.start();
      started = true;
      let first = true;
      let heard = false;
      let elapsed = 0;
      for (;;) {
        const frame = await source.read();
        const readAt = trace ? epochMs() : 0;
        elapsed += FRAME_MS;
        const d = vad.push(frame);
        if (!d.silent) heard = true;
        this.#o.onLevel(d.peak);
        const quiet = vad.silentMs >= this.#o.vadHangoverMs;
        const stopped = !this.#talking || talk !== this.#talkNo;
        const last = stopped || (!this.#held && quiet && (heard || elapsed >= START_GRACE_MS));
        if (first) fadeInPlace(frame);
        if (last) fadeOutPlace(frame);
        first = false;
        const seq = this.#client.sendVoice(encoder.encode(frame));
        trace?.mark("cap", { seq, t: readAt, tx: epochMs(), on: onsetIndex(frame) });
        if (last) break;
      }
    } finally {
      if (talk === this.#talkNo) this.#talking = false;
      trace?.flush();
      encoder.delete();
      if (started) await source.stop();
      this.#client.talk(false);
      this.#o.onLevel(null);
    }
  }

  #replay(nick: string): void {
    const take = this.#echoTakes.get(nick);
    this.#echoTakes.delete(nick);
    if (!take?.length) return;
    this.#echoing = this.#echoing.then(async () => {
      this.#client.talk(true);
      const t0 = performance.now();
      for (let i = 0; i < take.length; i++) {
        const wait = t0 + i * FRAME_MS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.#client.sendVoice(take[i]);
      }
      this.#client.talk(false);
    });
  }
}
