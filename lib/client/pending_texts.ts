/**
 * Texts that came before their sender's keys. They wait, bounded in number and
 * time, while the sender is asked for its keys again (at most once per
 * {@linkcode KEY_REQUEST_EVERY_MS}); a text that waits too long, or is pushed
 * out by newer ones, is reported as `missing-key` with what to do, so no text
 * vanishes unseen.
 *
 * @module
 */

import type { ClientEvent } from "./events.ts";

/** Texts waiting for their sender's keys: at most this many, for at most this long. */
export const PENDING_MAX = 512;
/** How long a text waits for its sender's keys before it is reported unreadable. */
export const PENDING_MS = 15_000;
/** How often a member is asked again for keys while its texts wait. */
export const KEY_REQUEST_EVERY_MS = 1_000;

/** A sealed text waiting for the keys of its sender's session. */
export interface PendingText {
  /** The nick stamped on it. */
  nick: string;
  /** The sender's session, hex. */
  session: string;
  /** The sealed text. */
  sealed: Uint8Array;
  /** When it came (ms since epoch). */
  at: number;
}

/** The texts of one inbox waiting for keys, with the timer that asks and expires. */
export class PendingTexts {
  readonly #texts: PendingText[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onEvent: (e: ClientEvent) => void;
  readonly #askForKeys: (session: string, now: number) => void;

  /** Reports through `onEvent`; asks for a session's keys through `askForKeys`. */
  constructor(
    onEvent: (e: ClientEvent) => void,
    askForKeys: (session: string, now: number) => void,
  ) {
    this.#onEvent = onEvent;
    this.#askForKeys = askForKeys;
  }

  /** Texts waiting. */
  get size(): number {
    return this.#texts.length;
  }

  /** Holds a text from `nick`'s `session` until its keys come; the oldest goes when full. */
  hold(nick: string, session: string, sealed: Uint8Array): void {
    const now = Date.now();
    if (this.#texts.length >= PENDING_MAX) {
      const dropped = this.#texts.shift()!;
      this.#reportMissing(dropped.nick, 1, `more than ${PENDING_MAX} texts wait for keys`);
    }
    this.#texts.push({ nick, session, sealed, at: now });
    this.#askForKeys(session, now);
    this.#arm();
  }

  /** Reports texts that waited too long and asks again for keys still missing. */
  expire(now = Date.now()): void {
    const expired = new Map<string, number>();
    for (let i = this.#texts.length - 1; i >= 0; i--) {
      const p = this.#texts[i];
      if (now - p.at < PENDING_MS) continue;
      this.#texts.splice(i, 1);
      expired.set(p.nick, (expired.get(p.nick) ?? 0) + 1);
    }
    for (const [nick, n] of expired) this.#reportMissing(nick, n, "its keys never arrived");
    for (const p of this.#texts) this.#askForKeys(p.session, now);
    this.#arm();
  }

  /** Takes out the texts waiting for `session` (its keys came), oldest first. */
  takeFor(session: string): PendingText[] {
    const waiting = this.#texts.filter((p) => p.session === session);
    if (waiting.length === 0) return waiting;
    for (let i = this.#texts.length - 1; i >= 0; i--) {
      if (this.#texts[i].session === session) this.#texts.splice(i, 1);
    }
    return waiting;
  }

  /** Puts back a text taken out that still cannot be opened. */
  putBack(p: PendingText): void {
    this.#texts.push(p);
  }

  /** Stops the timer (the inbox is being replaced or closed). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#texts.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.expire();
    }, KEY_REQUEST_EVERY_MS);
  }

  #reportMissing(nick: string, n: number, why: string): void {
    const texts = n === 1 ? "a text" : `${n} texts`;
    const message = `${texts} from ${nick} could not be read: ${why}; ask ${nick} to rejoin`;
    this.#onEvent({ event: "error", code: "missing-key", from: nick, message });
  }
}
