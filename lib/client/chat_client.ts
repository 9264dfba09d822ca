/**
 * The client side of the protocol, without any terminal: it connects (trying
 * each relay of a failover list, room_connection.ts), says hello, seals what it
 * sends, opens what it receives, and reports client events. Texts wait in a
 * {@linkcode TextSender} until the relay acknowledges them, so a dropped
 * connection or a restarted relay loses nothing: the client reconnects with
 * backoff and sends again what was not acknowledged.
 *
 * @module
 */

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
import { RoomConnection } from "./room_connection.ts";
import { CONTROL_TYPES, controlEvent } from "./control_events.ts";
import { GroupSession } from "../e2e/group.ts";
import { voiceAt } from "../e2e/envelope.ts";
import { fingerprint, type Identity as MemberIdentity } from "../e2e/identity.ts";
import type { KnownMembers } from "../e2e/known_members.ts";
import { loadClientKeys } from "./client_keys.ts";
import type { IdentityAction } from "./commands.ts";
import { ClientFatalError, FATAL_AT_JOIN } from "./errors.ts";

import type { ChatClientOptions, Identity } from "./client_options.ts";

export { ClientFatalError } from "./errors.ts";
export type { ChatClientOptions, Identity } from "./client_options.ts";

/** A connected (or reconnecting) member of one room. */
export class ChatClient {
  readonly #o: ChatClientOptions;
  #key: RoomKey;
  #group: GroupSession;
  readonly #identity: MemberIdentity;
  readonly #known: KnownMembers;
  readonly #texts: TextSender;
  #inbox: RoomInbox;
  readonly #conn: RoomConnection;

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
    this.#conn = new RoomConnection({
      options: this.#o,
      texts: this.#texts,
      hello: (resume) => this.#hello(resume),
      onFrame: (t, p) => this.#onFrame(t, p),
      onLost: () => this.#inbox.forgetIds(),
    });
  }

  #newInbox(): RoomInbox {
    return new RoomInbox(
      this.#group,
      this.#known,
      this.#o.onEvent,
      (share) => this.#conn.link?.send(encodeFrame(FrameType.KeyShare, share)),
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
    const { key, identity, known } = await loadClientKeys(o);
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
    return this.#conn.joined;
  }

  /** Texts not yet acknowledged by the relay. */
  get pending(): number {
    return this.#texts.pending;
  }

  /** Connects and joins; rejects with {@linkcode ClientFatalError} when that fails. */
  async start(): Promise<void> {
    await this.#conn.connect(true);
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
    this.#conn.reopen();
    const old: Identity = {
      nick: this.#o.nick,
      room: this.#o.room,
      passphrase: this.#o.passphrase,
    };
    const oldKey = this.#key;
    const same = next.room === old.room && next.passphrase === old.passphrase;
    const key = same ? this.#key : await deriveRoomKey(next.passphrase, next.room);
    await this.#conn.leave();
    this.#adopt(next, key);
    try {
      await this.#conn.connect(true);
    } catch (err) {
      await this.#conn.leave();
      this.#adopt(old, oldKey);
      await this.#conn.connect(true).catch((again) => this.#conn.reconnectLater(again, 0));
      throw err;
    }
  }

  /** Asks the relay for the member list (answered by a `who` event). */
  who(): void {
    this.#conn.link?.send(encodeFrame(FrameType.Who));
  }

  /** Asks for (true) or gives up (false) the floor. */
  talk(on: boolean): void {
    this.#conn.link?.send(encodeFrame(FrameType.Talk, encodeJson({ on })));
  }

  /** Seals and sends one encoded voice frame; returns its counter, or -1 when not in a room. */
  sendVoice(packet: Uint8Array): number {
    if (!this.#conn.joined) return -1;
    const sealed = this.#group.sealVoice(packet);
    this.#conn.link?.send(encodeFrame(FrameType.Voice, sealed), "voice");
    return voiceAt(splitTaggedVoice(sealed).sealed).index;
  }

  /**
   * Leaves cleanly: waits until every text is acknowledged (or `lingerMs`
   * passes without a relay), says bye and closes. Returns how many texts were
   * not delivered.
   */
  async close(): Promise<number> {
    await this.#texts.drain();
    await this.#conn.close();
    this.#inbox.close();
    const undelivered = this.#texts.pending;
    this.#texts.giveUp();
    return undelivered;
  }

  #hello(resume: boolean): Uint8Array {
    return encodeFrame(
      FrameType.Hello,
      encodeJson({
        v: PROTOCOL_VERSION,
        nick: this.#o.nick,
        room: this.#o.room,
        session: toHex(this.#group.session),
        keyId: this.#group.keyId,
        resume,
        ...this.#group.helloFields(),
      }),
    );
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
        if (e.fatal && !this.#conn.joined && FATAL_AT_JOIN.has(e.code)) {
          this.#conn.link?.fail(new ClientFatalError(e.code, e.message));
        }
        return this.#o.onEvent({ event: "error", code: e.code, message: e.message });
      }
      case FrameType.Pong:
        return;
      case FrameType.Ping:
        this.#conn.link?.send(encodeFrame(FrameType.Pong));
        return;
    }
  }

  #welcome(w: Welcome): void {
    this.#inbox.reset(w.members, this.#conn.everJoined);
    const rejoined = this.#conn.welcomed();
    const members = w.members.map((m) => m.nick);
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
    const link = this.#conn.settled();
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
