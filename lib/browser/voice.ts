/// <reference lib="dom" />
/**
 * Voice in the page: the **Talk** button (a toggle; silence ends a talk as in
 * the terminal), the space bar held outside the message field as
 * push-to-talk, a level meter while talking and a voice status line (floor
 * denied, microphone refused). The sound itself goes through the terminal
 * client's {@linkcode VoiceController} (silence detection, fades, Opus,
 * sealing through the {@linkcode ChatClient}) and its playout (jitter buffer,
 * Opus, fades, mixing), on the page's worklet microphone and speakers.
 *
 * @module
 */

import { DEFAULT_VAD_HANGOVER_MS, DEFAULT_VAD_THRESHOLD, levelFraction } from "../../audio/vad.ts";
import type { ChatClient } from "../client/chat_client.ts";
import type { ClientEvent } from "../client/events.ts";
import type { Member } from "../protocol.ts";
import { VoiceController } from "../voice/session.ts";
import { PageAudio, WorkletSink, WorkletSource } from "./worklet_audio.ts";

/** The meter shows one level in this many 20 ms frames (about 12 a second). */
const LEVEL_EVERY = 4;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Whether a key pressed in `target` is typing (space there is a space, not talk). */
function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable);
}

/** Int16 samples as base64 of their little-endian bytes (for a test to read back). */
function base64Samples(samples: Int16Array): string {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** The page's voice: controls, and the voice side of one joined client. */
export class PageVoice {
  readonly #talk = byId<HTMLButtonElement>("talk");
  readonly #level = byId<HTMLMeterElement>("level");
  readonly #status = byId("voice-status");
  #controller: VoiceController | null = null;
  #audio: PageAudio | null = null;
  #nick = "";
  #spaceHeld = false;
  /** Levels seen this talk, and the loudest since the meter last changed. */
  #levels = 0;
  #peak = 0;

  /** Wires the controls (disabled until {@linkcode attach}). */
  constructor() {
    this.#talk.disabled = true;
    this.#talk.addEventListener("click", () => {
      const c = this.#controller;
      if (!c) return;
      if (c.talking) c.stopTalking();
      else c.startTalking();
      this.#sync();
    });
    document.addEventListener("keydown", (e) => {
      if (e.code !== "Space" || typing(e.target) || !this.#controller) return;
      // Held: no click of a focused button, no page scroll, one start.
      e.preventDefault();
      if (e.repeat || this.#spaceHeld) return;
      this.#spaceHeld = true;
      if (!this.#controller.talking) this.#controller.startTalking(true);
      this.#sync();
    });
    document.addEventListener("keyup", (e) => {
      if (e.code !== "Space" || !this.#spaceHeld) return;
      e.preventDefault();
      this.#spaceHeld = false;
      this.#controller?.stopTalking();
      this.#sync();
    });
  }

  /**
   * Opens the page's audio and starts listening for `client`; on failure
   * (no AudioWorklet, an insecure page) says why and leaves text chat be.
   * Call from the Join click, so the browser lets the sound start.
   */
  async attach(client: ChatClient): Promise<void> {
    this.#nick = client.nick;
    try {
      if (!globalThis.isSecureContext) {
        throw new Error("the browser allows voice only on an https:// page (or on localhost)");
      }
      const audio = this.#audio = await PageAudio.open();
      const sink = new WorkletSink(audio);
      this.#controller = new VoiceController(client, {
        source: new WorkletSource(audio),
        sink,
        vadThreshold: DEFAULT_VAD_THRESHOLD,
        vadHangoverMs: DEFAULT_VAD_HANGOVER_MS,
        echo: false,
        onLevel: (peak) => this.#onLevel(peak),
        // A notice may end the talk (the microphone failed): the button says so at once.
        notice: (message) => {
          this.#say(message, true);
          this.#sync();
        },
      });
      this.#talk.disabled = false;
      // Test hook, for tests/browser/voice_e2e_test.ts only: a copy of what the
      // page played. Nothing records unless a test calls start; nothing heard changes.
      Object.assign(globalThis, {
        amPlayoutTap: {
          start: () => sink.startRecording(),
          stop: async () => base64Samples(await sink.stopRecording()),
          underruns: () => sink.underruns,
        },
      });
    } catch (err) {
      this.#say(`voice is off: ${err instanceof Error ? err.message : err}`, true);
    }
  }

  /** Takes an opened voice frame of another member. */
  readonly receive = (from: Member, counter: number, payload: Uint8Array): void => {
    this.#controller?.receive(from, counter, payload);
  };

  /** Sees every client event: floor grants, denials and ends. */
  onEvent(e: ClientEvent): void {
    this.#controller?.onEvent(e);
    if (e.event === "floor-denied") {
      this.#say(`${e.holder} is talking: you can talk when they stop`, true);
    } else if (e.event === "talk-start" && e.nick === this.#nick) {
      this.#say("you are talking");
    } else if (e.event === "talk-end" && e.nick === this.#nick) {
      // A notice (say, the microphone refused) stays; "you are talking" goes.
      if (!this.#status.classList.contains("alert")) this.#say("");
    } else if (e.event === "ready") {
      this.#nick = e.nick;
    }
    this.#sync();
  }

  /** Stops talking and playing. */
  async close(): Promise<void> {
    await this.#controller?.close();
    await this.#audio?.close();
  }

  #onLevel(peak: number | null): void {
    if (peak === null) {
      this.#level.hidden = true;
      this.#levels = 0;
      this.#peak = 0;
      return this.#sync();
    }
    // Shown every few frames, with their loudest: each change of the meter costs a
    // paint, and at 50 a second painting took more CPU than the voice (measured).
    this.#peak = Math.max(this.#peak, peak);
    if (this.#levels++ % LEVEL_EVERY !== 0) return;
    this.#level.hidden = false;
    this.#level.value = levelFraction(this.#peak);
    this.#peak = 0;
  }

  #say(text: string, alert = false): void {
    this.#status.textContent = text;
    this.#status.classList.toggle("alert", alert);
  }

  #sync(): void {
    const talking = this.#controller?.talking ?? false;
    this.#talk.setAttribute("aria-pressed", String(talking));
  }
}
