/**
 * The client side of the protocol, without any terminal: it connects (trying
 * each relay of a failover list), says hello, seals what it sends, opens what
 * it receives, and reports client events. Texts wait in a
 * {@linkcode TextSender} until the relay acknowledges them, so a dropped
 * connection or a restarted relay loses nothing: the client reconnects with
 * backoff and sends again what was not acknowledged.
 *
 * @module
 */

import { backoffDelay } from "./backoff.ts";
import { deriveRoomKey, newSessionId, type RoomKey, toHex } from "../cipher.ts";
import { encodeFrame } from "../framing.ts";
import { TextSender } from "./text_sender.ts";
import { RoomInbox } from "./inbox.ts";
import {
  ACK_FORWARDED,
  decodeAck,
  decodeJson,
  encodeJson,
  type ErrorBody,
  FrameType,
  type Member,
  PROTOCOL_VERSION,
  splitTaggedVoice,
  type Welcome,
} from "../protocol.ts";
import { ClientLink } from "./link.ts";
import { CONTROL_TYPES, controlEvent } from "./control_events.ts";
import { GroupSession } from "../e2e/group.ts";
import { voiceAt } from "../e2e/envelope.ts";
import { fingerprint, type Identity as MemberIdentity } from "../e2e/identity.ts";
import { configDir, loadOrCreateIdentity } from "../e2e/identity_file.ts";
import { KnownMembers } from "../e2e/known_members.ts";
import type { IdentityAction } from "./commands.ts";
import { join } from "node:path";
import { ClientFatalError, FATAL_AT_JOIN } from "./errors.ts";

import type { ChatClientOptions, Identity } from "./client_options.ts";

export { ClientFatalError } from "./errors.ts";
export type { ChatClientOptions, Identity } from "./client_options.ts";

const PING_EVERY_MS = 15_000;
const SILENCE_LIMIT_MS = 45_000;

/** A connected (or reconnecting) member of one room. */
export class ChatClient {
  readonly #o: ChatClientOptions;
  #key: RoomKey;
  #group: GroupSession;
  readonly #identity: MemberIdentity;
  readonly #known: KnownMembers;
  readonly #texts: TextSender;
  #inbox: RoomInbox;
  /** Bumped when the client leaves a room for another: older connections then stay quiet. */
  #generation = 0;
  #link: ClientLink | null = null;
  #joined = false;
  #everJoined = false;
  #closing = false;
  #onJoined: (() => void) | null = null;
  /** Connection attempts since the last welcome: the backoff and the relay to try. */
  #attempt = 0;

  private constructor(
    o: ChatClientOptions,
    key: RoomKey,
    identity: MemberIdentity,
    known: KnownMembers,
  ) {
    this.#o = { ...o };
    this.#texts = new TextSender(o.onEvent);
    this.#key = key;
    this.#identity = identity;
    this.#known = known;
    this.#group = new GroupSession(key, o.nick, identity, newSessionId());
    this.#inbox = this.#newInbox();
  }

  #newInbox(): RoomInbox {
    return new RoomInbox(
      this.#group,
      this.#known,
      this.#o.onEvent,
      (share) => this.#link?.send(encodeFrame(FrameType.KeyShare, share)),
      this.#o.onVoice,
    );
  }

  /** Takes on a nick, room and key: a new session, sealer, opener and member list. */
  #adopt(who: Identity, key: RoomKey): void {
    this.#o.nick = who.nick;
    this.#o.room = who.room;
    this.#o.passphrase = who.passphrase;
    this.#key = key;
    this.#group = new GroupSession(key, who.nick, this.#identity, newSessionId());
    this.#inbox.close();
    this.#inbox = this.#newInbox();
  }

  /** Members of the room by nick, as the relay last told. */
  get members(): Map<string, Member> {
    return this.#inbox.members;
  }

  /**
   * Loads (or makes) the identity, derives the room key (scrypt, about
   * 100–200 ms) and builds a client.
   */
  static async create(o: ChatClientOptions): Promise<ChatClient> {
    if (o.identity) {
      const [known, key] = await Promise.all([
        o.knownMembers ?? KnownMembers.load(null),
        deriveRoomKey(o.passphrase, o.room),
      ]);
      return new ChatClient(o, key, o.identity, known);
    }
    const dir = o.identityPath ? null : configDir();
    const [identity, known, key] = await Promise.all([
      loadOrCreateIdentity(o.identityPath ?? join(dir!, "identity")),
      KnownMembers.load(join(dir ?? configDir(), "known_members")),
      deriveRoomKey(o.passphrase, o.room),
    ]);
    return new ChatClient(o, key, identity, known);
  }

  /** This client's identity fingerprint. */
  get fingerprint(): string {
    return fingerprint(this.#group.identity.publicKey);
  }

  /** `/verify`, `/trust` or `/accept` a member's identity. */
  identity(action: IdentityAction, nick: string): void {
    this.#inbox.identityCommand(action, nick);
  }

  /** This client's nick. */
  get nick(): string {
    return this.#o.nick;
  }

  /** This client's room. */
  get room(): string {
    return this.#o.room;
  }

  /** Whether the client is in its room now. */
  get joined(): boolean {
    return this.#joined;
  }

  /** Texts not yet acknowledged by the relay. */
  get pending(): number {
    return this.#texts.pending;
  }

  /** Connects and joins; rejects with {@linkcode ClientFatalError} when that fails. */
  async start(): Promise<void> {
    await this.#connect(true);
  }

  /**
   * Queues a text (`action` for a `/me`); it is sent as soon as the connection
   * and the rate limit allow. Reported at once as `sent`, later as `acked`,
   * `refused` (sent again) or `undelivered`. Returns its message number.
   */
  sendText(text: string, action = false): number {
    return this.#texts.add(text, action, this.#o.nick, this.#o.room);
  }

  /**
   * Leaves the room and joins as `next` (another nick, another room, or
   * both): pending texts are delivered first (or reported undelivered after
   * `lingerMs`), then a new room key is derived and the client joins afresh.
   * When the join is refused (say, the nick is taken) the client goes back to
   * where it was and the promise rejects with the refusal.
   */
  async switchTo(next: Identity): Promise<void> {
    await this.#texts.drain();
    this.#texts.giveUp();
    this.#closing = false;
    const old: Identity = {
      nick: this.#o.nick,
      room: this.#o.room,
      passphrase: this.#o.passphrase,
    };
    const oldKey = this.#key;
    const same = next.room === old.room && next.passphrase === old.passphrase;
    const key = same ? this.#key : await deriveRoomKey(next.passphrase, next.room);
    await this.#leave();
    this.#adopt(next, key);
    try {
      await this.#connect(true);
    } catch (err) {
      await this.#leave();
      this.#adopt(old, oldKey);
      await this.#connect(true).catch((again) => this.#reconnectLater(again, 0));
      throw err;
    }
  }

  /** Closes the current connection without reconnecting; the next join is a fresh one. */
  async #leave(): Promise<void> {
    this.#generation++;
    const link = this.#link;
    this.#link = null;
    this.#joined = false;
    this.#everJoined = false;
    this.#texts.disconnected();
    await link?.bye("leaving");
  }

  /** Asks the relay for the member list (answered by a `who` event). */
  who(): void {
    this.#link?.send(encodeFrame(FrameType.Who));
  }

  /** Asks for (true) or gives up (false) the floor. */
  talk(on: boolean): void {
    this.#link?.send(encodeFrame(FrameType.Talk, encodeJson({ on })));
  }

  /** Seals and sends one encoded voice frame; returns its counter, or -1 when not in a room. */
  sendVoice(packet: Uint8Array): number {
    if (!this.#joined) return -1;
    const sealed = this.#group.sealVoice(packet);
    this.#link?.send(encodeFrame(FrameType.Voice, sealed), "voice");
    return voiceAt(splitTaggedVoice(sealed).sealed).index;
  }

  /**
   * Leaves cleanly: waits until every text is acknowledged (or `lingerMs`
   * passes without a relay), says bye and closes. Returns how many texts were
   * not delivered.
   */
  async close(): Promise<number> {
    await this.#texts.drain();
    this.#closing = true;
    this.#texts.disconnected();
    await this.#link?.bye("leaving");
    this.#inbox.close();
    const undelivered = this.#texts.pending;
    this.#texts.giveUp();
    return undelivered;
  }

  async #connect(first: boolean): Promise<void> {
    let attempt = first ? 0 : this.#attempt;
    const lostSince = Date.now();
    const linger = this.#o.lingerMs ?? 30_000;
    const generation = this.#generation;
    while (!this.#closing && generation === this.#generation) {
      const addr = this.#o.addresses[attempt % this.#o.addresses.length];
      try {
        const link = await ClientLink.open(
          addr,
          (t, p) => {
            // Frames still arriving on a connection to the room the client left are not for it.
            if (generation === this.#generation) this.#onFrame(t, p);
          },
          this.#o.connect,
          (message) => this.#o.onEvent({ event: "notice", message }),
        );
        if (generation !== this.#generation) return void link.fail(new Error("left the room"));
        this.#link = link;
        link.send(encodeFrame(
          FrameType.Hello,
          encodeJson({
            v: PROTOCOL_VERSION,
            nick: this.#o.nick,
            room: this.#o.room,
            session: toHex(this.#group.session),
            keyId: this.#group.keyId,
            resume: this.#everJoined,
            ...this.#group.helloFields(),
          }),
        ));
        const ended = link.run(PING_EVERY_MS, SILENCE_LIMIT_MS);
        if (first) {
          // The first join decides whether the client can run at all.
          await Promise.race([this.#waitJoined(), ended.then((why) => Promise.reject(why))]);
        }
        ended.then((why) => {
          if (generation === this.#generation) this.#lost(why);
        });
        return;
      } catch (err) {
        const fatal = err instanceof ClientFatalError ? err : null;
        if (fatal && (first || fatal.code !== "nick-taken")) throw fatal;
        if (first && attempt + 1 >= this.#o.addresses.length) {
          const msg = err instanceof Error ? err.message : String(err);
          throw new ClientFatalError("unreachable", `cannot reach the relay: ${msg}`, {
            cause: err,
          });
        }
        if (Date.now() - lostSince > linger && this.#texts.pending > 0 && this.#texts.draining) {
          this.#closing = true;
          this.#texts.settle();
          return;
        }
        const inMs = first ? 0 : backoffDelay(attempt);
        if (!first) this.#o.onEvent({ event: "reconnecting", inMs, attempt: attempt + 1 });
        this.#attempt = ++attempt;
        await new Promise((r) => setTimeout(r, inMs));
      }
    }
  }

  #waitJoined(): Promise<void> {
    return new Promise((resolve) => this.#onJoined = resolve);
  }

  #lost(why: Error | null): void {
    const wasJoined = this.#joined;
    this.#joined = false;
    this.#link = null;
    this.#texts.disconnected();
    this.#inbox.forgetIds();
    if (this.#closing) return;
    if (
      why instanceof ClientFatalError && why.code !== "nick-taken" && !wasJoined &&
      !this.#everJoined
    ) {
      return;
    }
    const reason = why?.message ?? "the relay closed the connection";
    this.#o.onEvent({ event: "error", code: "disconnected", message: `disconnected: ${reason}` });
    // A connection that never got as far as a welcome (refused, say, while the
    // relay still holds the old one) counts as a failed attempt: back off, and
    // let the next attempt try the next relay of the list.
    const inMs = wasJoined ? 0 : backoffDelay(this.#attempt++);
    if (inMs) this.#o.onEvent({ event: "reconnecting", inMs, attempt: this.#attempt });
    this.#reconnectLater(null, inMs);
  }

  /** Reports `why` (if any) and keeps trying to reconnect, starting in `inMs`. */
  #reconnectLater(why: Error | null, inMs: number): void {
    if (why) {
      const code = why instanceof ClientFatalError ? why.code : "disconnected";
      this.#o.onEvent({ event: "error", code, message: why.message });
    }
    setTimeout(() => {
      this.#connect(false).catch((err) => {
        this.#o.onEvent({ event: "error", code: err.code ?? "disconnected", message: err.message });
        this.#closing = true;
        this.#texts.settle();
        if (err instanceof ClientFatalError) this.#o.onFatal?.(err);
      });
    }, inMs);
  }

  #onFrame(type: number, payload: Uint8Array): void {
    if (CONTROL_TYPES.has(type)) {
      const e = controlEvent(type, payload, this.#o.room, this.#inbox);
      return this.#o.onEvent(this.#inbox.decorate(e));
    }
    switch (type) {
      case FrameType.Welcome:
        return this.#welcome(decodeJson<Welcome>(payload));
      case FrameType.Text:
        return this.#inbox.text(payload);
      case FrameType.Voice:
        return this.#inbox.voice(payload);
      case FrameType.KeyShare:
        return this.#inbox.keyShare(payload);
      case FrameType.Ack: {
        const { seq, status } = decodeAck(payload);
        return this.#texts.ack(seq, status === ACK_FORWARDED);
      }
      case FrameType.Error: {
        const e = decodeJson<ErrorBody>(payload);
        if (e.fatal && !this.#joined && FATAL_AT_JOIN.has(e.code)) {
          this.#link?.fail(new ClientFatalError(e.code, e.message));
        }
        return this.#o.onEvent({ event: "error", code: e.code, message: e.message });
      }
      case FrameType.Pong:
        return;
      case FrameType.Ping:
        this.#link?.send(encodeFrame(FrameType.Pong));
        return;
    }
  }

  #welcome(w: Welcome): void {
    this.#inbox.reset(w.members, this.#everJoined);
    this.#joined = true;
    const members = w.members.map((m) => m.nick);
    const rejoined = this.#everJoined;
    if (rejoined) this.#o.onEvent({ event: "reconnected", room: w.room });
    else {this.#o.onEvent({
        event: "ready",
        nick: w.self.nick,
        room: w.room,
        members,
        duplex: w.duplex,
        fingerprint: this.fingerprint,
      });}
    for (const nick of w.talking) this.#o.onEvent({ event: "talk-start", nick, room: w.room });
    this.#everJoined = true;
    this.#attempt = 0;
    this.#onJoined?.();
    this.#onJoined = null;
    const link = this.#link!;
    this.#texts.connected(
      (plain) => {
        link.send(encodeFrame(FrameType.Text, this.#group.sealText(plain)));
        return true;
      },
      w.limits.textRate,
      w.limits.textBurst,
      rejoined,
    );
  }
}
