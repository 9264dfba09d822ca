/**
 * What a client knows of its room and receives from it: the member list (nick,
 * voice id, session, key id, identity), trust on first use of each member's
 * identity (member_trust.ts), the key shares that bring members' sender keys, and the opening of
 * sealed texts and voice frames. It turns every failure into one of the
 * user-facing codes: a member with another passphrase is reported once, by
 * name, and never shown as garbage; a forged, tampered or replayed frame is
 * reported as such; a text seen before (resent after a reconnect) is dropped
 * quietly; a text whose sender's keys have not arrived yet waits for them
 * (bounded in number and time, pending_texts.ts) while the sender is asked for them again, and
 * is reported as `missing-key` if they never come: no text vanishes unseen.
 *
 * @module
 */

import { CipherError, toHex } from "../cipher.ts";
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
import type { KnownMembers } from "../e2e/known_members.ts";
import { MemberTrust } from "./member_trust.ts";
import { KEY_REQUEST_EVERY_MS, PendingTexts } from "./pending_texts.ts";

export { KEY_REQUEST_EVERY_MS, PENDING_MAX, PENDING_MS } from "./pending_texts.ts";

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
  readonly #group: GroupSession;
  readonly #room: string;
  readonly #dups = new DuplicateFilter();
  readonly #badPassphrase = new Set<string>();
  readonly #trust: MemberTrust;
  readonly #pending: PendingTexts;
  /** Sessions whose first key share is awaited since the welcome (for `keys-ready`). */
  #awaiting: Set<string> | null = null;
  #keysReadySent = false;
  /** When each session was last asked for its keys, and when each was last answered. */
  readonly #askedAt = new Map<string, number>();
  readonly #answeredAt = new Map<string, number>();
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
    this.#room = group.room;
    this.#onEvent = onEvent;
    this.#sendShare = sendShare;
    this.#onVoice = onVoice;
    this.#trust = new MemberTrust(group, known, this.members, onEvent);
    this.#pending = new PendingTexts(onEvent, (session, now) => this.#askForKeys(session, now));
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

  /** Forgets member ids (the connection is gone; a welcome will bring them back). */
  forgetIds(): void {
    this.#byId.clear();
    this.#group.forgetIds();
  }

  /** Texts waiting for their sender's keys. */
  get pendingTexts(): number {
    return this.#pending.size;
  }

  /**
   * Asks again for keys still missing and reports texts that waited too long
   * (`missing-key`). Runs on its own timer while texts wait; exposed for tests.
   */
  expirePending(now = Date.now()): void {
    this.#pending.expire(now);
  }

  /** Stops the timer of waiting texts (the inbox is being replaced or closed). */
  close(): void {
    this.#pending.close();
  }

  /** Identity details of the members named, for `/who`. */
  describe(nicks: string[]): MemberInfo[] {
    return this.#trust.describe(nicks);
  }

  /** `/verify`, `/trust`, `/accept` for `nick`. */
  identityCommand(action: IdentityAction, nick: string): void {
    this.#trust.command(action, nick);
  }

  /** A `joined` or `who` event with the members' fingerprints and whether they are verified. */
  decorate(e: ClientEvent): ClientEvent {
    return this.#trust.decorate(e);
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
    this.#trust.check(m as Member & { identity: string });
    for (const early of this.#group.takeEarlyShares(a.peer)) this.#takeShare(m.id, early);
    return a.peer;
  }

  #share(peer: Peer, request = false): void {
    const payload = this.#group.shareFor(peer, request);
    if (payload) this.#sendShare(payload);
  }

  /**
   * Asks the member of `session` for its keys again (sending this member's own
   * with the request), at most once per {@linkcode KEY_REQUEST_EVERY_MS}: a
   * share lost with a relay, or one that came under an id that meanwhile named
   * another member, must not leave its texts unreadable for good.
   */
  #askForKeys(session: string, now = Date.now()): void {
    const peer = this.#group.peerBySession(session);
    if (!peer?.pair || this.#byId.get(peer.member.id)?.session !== session) return;
    if (now - (this.#askedAt.get(session) ?? -Infinity) < KEY_REQUEST_EVERY_MS) return;
    this.#askedAt.set(session, now);
    this.#share(peer, true);
  }

  #takeShare(from: number, body: Uint8Array): void {
    try {
      const taken = this.#group.takeShare(from, body);
      if (!taken) return;
      const { peer, request } = taken;
      if (request) {
        // Answered at most once a second per member: a request cannot make this member flood.
        const now = Date.now();
        const session = peer.member.session;
        if (now - (this.#answeredAt.get(session) ?? -Infinity) >= KEY_REQUEST_EVERY_MS) {
          this.#answeredAt.set(session, now);
          this.#share(peer);
        }
      }
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
        if (!fromPending) this.#pending.hold(nick, r.session, sealed);
        return false;
      }
      const body = decodeJson<TextBody>(r.body);
      if (!this.#dups.firstTime(toHex(r.peer.session), body.n)) return true;
      const text = String(body.text);
      const e: ClientEvent = { event: "text", from: nick, room: this.#room, text, ts: body.ts };
      if (body.me === true) e.action = true;
      if (this.#trust.changed(nick)) e.identityChanged = true;
      this.#onEvent(e);
    } catch (err) {
      this.#cipherError(err, nick);
    }
    return true;
  }

  #retryPending(session: string): void {
    for (const p of this.#pending.takeFor(session)) {
      if (!this.#openText(p.nick, p.sealed, true)) this.#pending.putBack(p);
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
