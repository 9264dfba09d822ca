/**
 * What a client knows of its room and receives from it: the member list (nick,
 * voice id, session, key id), and the opening of sealed texts and voice frames.
 * It turns every failure into one of the user-facing codes: a member with
 * another passphrase is reported once, by name, and never shown as garbage; a
 * forged or replayed frame is reported as such; a text seen before (resent
 * after a reconnect) is dropped quietly.
 *
 * @module
 */

import { CipherError, type Opener } from "../cipher.ts";
import type { ClientEvent } from "./events.ts";
import { DuplicateFilter } from "./outbox.ts";
import { decodeJson, type Member, splitIdStamp, splitNickStamp } from "../protocol.ts";

/** The sealed body of a text. */
export interface TextBody {
  /** Message number within the sender's session. */
  n: number;
  /** The text. */
  text: string;
  /** When the sender typed it (ms since epoch). */
  ts: number;
  /** A `/me` action: shown as `* nick text`. Sealed like the text, so the relay cannot tell. */
  me?: boolean;
}

/** Members and incoming sealed frames of one room, as one client sees them. */
export class RoomInbox {
  /** Members of the room by nick, as the relay last told. */
  readonly members = new Map<string, Member>();
  readonly #byId = new Map<number, Member>();
  readonly #opener: Opener;
  readonly #self: string;
  readonly #room: string;
  readonly #dups = new DuplicateFilter();
  readonly #badPassphrase = new Set<string>();
  readonly #onEvent: (e: ClientEvent) => void;
  readonly #onVoice?: (from: Member, counter: number, payload: Uint8Array) => void;

  /** An inbox for `self` in `room`, opening with `opener`. */
  constructor(
    opener: Opener,
    self: string,
    room: string,
    onEvent: (e: ClientEvent) => void,
    onVoice?: (from: Member, counter: number, payload: Uint8Array) => void,
  ) {
    this.#opener = opener;
    this.#self = self;
    this.#room = room;
    this.#onEvent = onEvent;
    this.#onVoice = onVoice;
  }

  /** Replaces the member list (a welcome). */
  reset(members: Member[]): void {
    this.members.clear();
    this.#byId.clear();
    for (const m of members) this.add(m);
  }

  /** Adds a member; one with another key id is reported as using another passphrase. */
  add(m: Member): void {
    this.members.set(m.nick, m);
    this.#byId.set(m.id, m);
    if (m.nick !== this.#self && m.keyId !== this.#opener.keyId) this.#reportBadPassphrase(m.nick);
  }

  /** Removes a member. */
  remove(m: Member): void {
    this.members.delete(m.nick);
    this.#byId.delete(m.id);
  }

  /** Forgets voice ids (the connection is gone; a welcome will bring them back). */
  forgetIds(): void {
    this.#byId.clear();
  }

  /** Opens a relayed text and reports it, unless it is a copy. */
  text(payload: Uint8Array): void {
    const { nick, sealed } = splitNickStamp(payload);
    try {
      const opened = this.#opener.openText(nick, sealed);
      const body = decodeJson<TextBody>(opened.plain);
      if (!this.#dups.firstTime(opened.session, body.n)) return;
      const text = String(body.text);
      const e: ClientEvent = { event: "text", from: nick, room: this.#room, text, ts: body.ts };
      if (body.me === true) e.action = true;
      this.#onEvent(e);
    } catch (err) {
      this.#cipherError(err, nick);
    }
  }

  /** Opens a relayed voice frame and hands it on. */
  voice(payload: Uint8Array): void {
    const { id, sealed } = splitIdStamp(payload);
    const from = this.#byId.get(id);
    if (!from || !this.#onVoice) return;
    try {
      const opened = this.#opener.openVoice(from, sealed);
      this.#onVoice(from, opened.counter, opened.plain);
    } catch (err) {
      this.#cipherError(err, from.nick);
    }
  }

  #reportBadPassphrase(nick: string): void {
    if (this.#badPassphrase.has(nick)) return;
    this.#badPassphrase.add(nick);
    const message = `messages from ${nick} use a different passphrase`;
    this.#onEvent({ event: "error", code: "bad-passphrase", from: nick, message });
  }

  #cipherError(err: unknown, nick: string): void {
    if (!(err instanceof CipherError)) {
      const message = `unreadable message from ${nick}`;
      return this.#onEvent({ event: "error", code: "tampered", from: nick, message });
    }
    if (err.code === "bad-passphrase") return this.#reportBadPassphrase(nick);
    this.#onEvent({ event: "error", code: err.code, from: nick, message: err.message });
  }
}
