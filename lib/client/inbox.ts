/**
 * What a client knows of its room and receives from it: the member list (nick,
 * voice id, session, key id, identity), trust on first use of each member's
 * identity, the key shares that bring members' sender keys, and the opening of
 * sealed texts and voice frames. It turns every failure into one of the
 * user-facing codes: a member with another passphrase is reported once, by
 * name, and never shown as garbage; a forged, tampered or replayed frame is
 * reported as such; a text seen before (resent after a reconnect) is dropped
 * quietly; a text whose sender's keys have not arrived yet waits for them.
 *
 * @module
 */

import { CipherError, fromHex, toHex } from "../cipher.ts";
import type { ClientEvent, MemberInfo } from "./events.ts";
import type { IdentityAction } from "./commands.ts";
import { DuplicateFilter } from "./outbox.ts";
import {
  decodeJson,
  type Member,
  splitKeyShare,
  splitListenerVoice,
  splitNickStamp,
} from "../protocol.ts";
import type { GroupSession, Peer } from "../e2e/group.ts";
import { fingerprint, safetyNumber } from "../e2e/identity.ts";
import type { KnownMembers } from "../e2e/known_members.ts";

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

/** Texts waiting for their sender's keys: at most this many, for at most this long. */
const PENDING_MAX = 512;
const PENDING_MS = 15_000;

/** Members and incoming sealed frames of one room, as one client sees them. */
export class RoomInbox {
  /** Members of the room by nick, as the relay last told. */
  readonly members = new Map<string, Member>();
  readonly #byId = new Map<number, Member>();
  readonly #group: GroupSession;
  readonly #known: KnownMembers;
  readonly #room: string;
  readonly #dups = new DuplicateFilter();
  readonly #badPassphrase = new Set<string>();
  /** Nicks whose identity changed and was not accepted yet. */
  readonly #changed = new Set<string>();
  readonly #pending: { nick: string; session: string; sealed: Uint8Array; at: number }[] = [];
  /** Sessions whose first key share is awaited since the welcome (for `keys-ready`). */
  #awaiting: Set<string> | null = null;
  #keysReadySent = false;
  readonly #onEvent: (e: ClientEvent) => void;
  readonly #onVoice?: (from: Member, counter: number, payload: Uint8Array) => void;
  readonly #sendShare: (payload: Uint8Array) => void;

  /** An inbox for `group`'s member in its room. */
  constructor(
    group: GroupSession,
    known: KnownMembers,
    onEvent: (e: ClientEvent) => void,
    sendShare: (payload: Uint8Array) => void,
    onVoice?: (from: Member, counter: number, payload: Uint8Array) => void,
  ) {
    this.#group = group;
    this.#known = known;
    this.#room = group.room;
    this.#onEvent = onEvent;
    this.#sendShare = sendShare;
    this.#onVoice = onVoice;
  }

  /**
   * Replaces the member list (a welcome). Members gone meanwhile are forgot;
   * after a lost connection this member's chains start afresh (whoever left
   * while it was away must not read on); every member gets its keys.
   */
  reset(members: Member[], rejoined: boolean): void {
    const present = new Set(members.map((m) => m.session));
    for (const p of this.#group.peers()) {
      if (!present.has(p.member.session)) this.#group.remove(p.member);
    }
    this.members.clear();
    this.#byId.clear();
    if (rejoined) this.#group.rotate();
    const fresh: Peer[] = [];
    for (const m of members) {
      const peer = this.#admit(m);
      if (peer) fresh.push(peer);
    }
    this.#awaiting = new Set(
      fresh.filter((p) => p.pair && p.text.length === 0).map((p) => p.member.session),
    );
    for (const p of this.#group.peers()) this.#share(p);
    this.#checkKeysReady();
  }

  /** Adds a member (joined); one with another key id is reported as using another passphrase. */
  add(m: Member): void {
    const peer = this.#admit(m);
    if (peer) this.#share(peer);
  }

  /** Removes a member: its keys are dropped and this member's chains start afresh. */
  remove(m: Member): void {
    if (this.members.get(m.nick)?.id === m.id) this.members.delete(m.nick);
    this.#byId.delete(m.id);
    if (!this.#group.remove(m)) return;
    this.#group.rotate();
    for (const p of this.#group.peers()) this.#share(p);
  }

  /** Forgets voice ids (the connection is gone; a welcome will bring them back). */
  forgetIds(): void {
    this.#byId.clear();
  }

  /** Identity details of the members named, for `/who`. */
  describe(nicks: string[]): MemberInfo[] {
    return nicks.map((nick) => {
      const m = this.members.get(nick);
      if (nick === this.#group.nick) {
        return { nick, fingerprint: fingerprint(this.#group.identity.publicKey), verified: true };
      }
      if (!m?.identity) return { nick, verified: false };
      return {
        nick,
        fingerprint: fingerprint(fromHex(m.identity)),
        verified: this.#known.verified(this.#room, nick, m.identity),
      };
    });
  }

  /** `/verify`, `/trust`, `/accept` for `nick`. */
  identityCommand(action: IdentityAction, nick: string): void {
    const m = this.members.get(nick);
    if (!m?.identity || nick === this.#group.nick) {
      const message = `no member ${nick} with an identity in ${this.#room}`;
      return this.#onEvent({ event: "notice", message });
    }
    if (action === "accept") {
      this.#known.accept(this.#room, nick, m.identity);
      this.#changed.delete(nick);
      return this.#onEvent({ event: "notice", message: `accepted ${nick}'s new identity` });
    }
    if (action === "trust") {
      this.#known.trust(this.#room, nick, m.identity);
      this.#changed.delete(nick);
      return this.#onEvent({ event: "notice", message: `${nick} is marked verified` });
    }
    this.#onEvent({
      event: "safety-number",
      nick,
      room: this.#room,
      number: safetyNumber(this.#group.identity.publicKey, fromHex(m.identity)),
      verified: this.#known.verified(this.#room, nick, m.identity),
    });
  }

  /** A `joined` or `who` event with the members' fingerprints and whether they are verified. */
  decorate(e: ClientEvent): ClientEvent {
    if (e.event === "who") return { ...e, entries: this.describe(e.members) };
    if (e.event !== "joined") return e;
    const [info] = this.describe([e.nick]);
    return info.fingerprint ? { ...e, fingerprint: info.fingerprint, verified: info.verified } : e;
  }

  /** Takes a relayed key share. */
  keyShare(payload: Uint8Array): void {
    const { from, body } = splitKeyShare(payload);
    this.#takeShare(from, body);
  }

  /** Opens a relayed text and reports it, unless it is a copy. */
  text(payload: Uint8Array): void {
    const { nick, sealed } = splitNickStamp(payload);
    this.#openText(nick, sealed);
  }

  /** Opens a relayed voice frame and hands it on. */
  voice(payload: Uint8Array): void {
    const { id, tag, sealed } = splitListenerVoice(payload);
    const from = this.#byId.get(id);
    if (!from || !this.#onVoice) return;
    try {
      const opened = this.#group.openVoice(id, tag, sealed);
      if (opened) this.#onVoice(from, opened.index, opened.plain);
    } catch (err) {
      this.#cipherError(err, from.nick);
    }
  }

  #admit(m: Member): Peer | null {
    this.members.set(m.nick, m);
    this.#byId.set(m.id, m);
    const a = this.#group.admit(m);
    if (a.kind === "self") return null;
    if (a.kind === "unsigned") {
      const message = `${m.nick} has no valid identity signature; nothing from it is shown`;
      this.#onEvent({ event: "error", code: "forged", from: m.nick, message });
      return null;
    }
    if (m.keyId !== this.#group.keyId) this.#reportBadPassphrase(m.nick);
    const verdict = this.#known.check(this.#room, m.nick, m.identity!);
    if (verdict.kind === "changed") {
      this.#changed.add(m.nick);
      this.#onEvent({
        event: "identity-changed",
        nick: m.nick,
        room: this.#room,
        old: fingerprint(fromHex(verdict.old)),
        new: fingerprint(fromHex(m.identity!)),
      });
    } else this.#changed.delete(m.nick);
    for (const early of this.#group.takeEarlyShares(a.peer)) this.#takeShare(m.id, early);
    return a.peer;
  }

  #share(peer: Peer): void {
    const payload = this.#group.shareFor(peer);
    if (payload) this.#sendShare(payload);
  }

  #takeShare(from: number, body: Uint8Array): void {
    try {
      const peer = this.#group.takeShare(from, body);
      if (!peer) return;
      this.#awaiting?.delete(peer.member.session);
      this.#checkKeysReady();
      this.#retryPending(peer.member.session);
    } catch (err) {
      this.#cipherError(err, this.#byId.get(from)?.nick ?? `member ${from}`);
    }
  }

  #checkKeysReady(): void {
    if (this.#keysReadySent || !this.#awaiting || this.#awaiting.size > 0) return;
    this.#keysReadySent = true;
    this.#onEvent({ event: "keys-ready", room: this.#room, members: this.members.size });
  }

  #openText(nick: string, sealed: Uint8Array, fromPending = false): boolean {
    try {
      const r = this.#group.openText(nick, sealed);
      if (r.kind === "unreadable") return true;
      if (r.kind === "no-key") {
        if (!fromPending) this.#hold(nick, r.session, sealed);
        return false;
      }
      const body = decodeJson<TextBody>(r.body);
      if (!this.#dups.firstTime(toHex(r.peer.session), body.n)) return true;
      const text = String(body.text);
      const e: ClientEvent = { event: "text", from: nick, room: this.#room, text, ts: body.ts };
      if (body.me === true) e.action = true;
      if (this.#changed.has(nick)) e.identityChanged = true;
      this.#onEvent(e);
    } catch (err) {
      this.#cipherError(err, nick);
    }
    return true;
  }

  #hold(nick: string, session: string, sealed: Uint8Array): void {
    const now = Date.now();
    while (this.#pending.length && now - this.#pending[0].at > PENDING_MS) this.#pending.shift();
    if (this.#pending.length >= PENDING_MAX) this.#pending.shift();
    this.#pending.push({ nick, session, sealed, at: now });
  }

  #retryPending(session: string): void {
    const waiting = this.#pending.filter((p) => p.session === session);
    if (waiting.length === 0) return;
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      if (this.#pending[i].session === session) this.#pending.splice(i, 1);
    }
    for (const p of waiting) {
      if (!this.#openText(p.nick, p.sealed, true)) this.#pending.push(p);
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
