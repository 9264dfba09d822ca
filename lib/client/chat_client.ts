/**
 * The client side of the protocol, without any terminal: it connects (trying
 * each relay of a failover list), says hello, seals what it sends, opens what
 * it receives, and reports {@linkcode ClientEvent}s. Texts wait in an
 * {@linkcode Outbox} until the relay acknowledges them, so a dropped
 * connection or a restarted relay loses nothing: the client reconnects with
 * backoff and sends again what was not acknowledged.
 *
 * @module
 */

import type { RelayAddress } from "./address.ts";
import { backoffDelay } from "./backoff.ts";
import { deriveRoomKey, newSessionId, Opener, type RoomKey, Sealer, toHex } from "../cipher.ts";
import type { ClientEvent } from "./events.ts";
import { encodeFrame } from "../framing.ts";
import { Outbox } from "./outbox.ts";
import { RoomInbox } from "./inbox.ts";
import {
  ACK_FORWARDED,
  decodeAck,
  decodeJson,
  encodeJson,
  encodeUtf8,
  type ErrorBody,
  FrameType,
  type Member,
  PROTOCOL_VERSION,
  type Welcome,
} from "../protocol.ts";
import { TokenBucket } from "../token_bucket.ts";
import { ClientLink } from "./link.ts";
import type { RelayConnector } from "./relay_trust.ts";
import { CONTROL_TYPES, controlEvent } from "./control_events.ts";
import { ClientFatalError, FATAL_AT_JOIN } from "./errors.ts";

export { ClientFatalError } from "./errors.ts";

/** Settings of one client. */
export interface ChatClientOptions {
  /** Relays to try, in order. */
  addresses: RelayAddress[];
  /** Nick. */
  nick: string;
  /** Room. */
  room: string;
  /** The room's passphrase. */
  passphrase: string;
  /** Reports every event. */
  onEvent: (e: ClientEvent) => void;
  /** Receives each opened voice frame. */
  onVoice?: (from: Member, counter: number, payload: Uint8Array) => void;
  /** Gives up on delivering pending texts after this long without a relay. */
  lingerMs?: number;
  /** Opens (and verifies) the connection to one relay. */
  connect: RelayConnector;
  /** Called when a reconnect meets an error no retry can fix (a relay that failed verification). */
  onFatal?: (err: ClientFatalError) => void;
}

const PING_EVERY_MS = 15_000;
const SILENCE_LIMIT_MS = 45_000;

/** A connected (or reconnecting) member of one room. */
export class ChatClient {
  readonly #o: ChatClientOptions;
  readonly #sealer: Sealer;
  readonly #opener: Opener;
  readonly #outbox = new Outbox();
  readonly #inbox: RoomInbox;
  #link: ClientLink | null = null;
  #joined = false;
  #everJoined = false;
  #closing = false;
  #bucket: TokenBucket | null = null;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #drainWaiters: (() => void)[] = [];
  #onJoined: (() => void) | null = null;
  /** Connection attempts since the last welcome: the backoff and the relay to try. */
  #attempt = 0;

  private constructor(o: ChatClientOptions, key: RoomKey) {
    this.#o = o;
    this.#sealer = new Sealer(key, o.nick, newSessionId());
    this.#opener = new Opener(key);
    this.#inbox = new RoomInbox(this.#opener, o.nick, o.room, o.onEvent, o.onVoice);
  }

  /** Members of the room by nick, as the relay last told. */
  get members(): Map<string, Member> {
    return this.#inbox.members;
  }

  /** Derives the room key (scrypt, about 100–200 ms) and builds a client. */
  static async create(o: ChatClientOptions): Promise<ChatClient> {
    return new ChatClient(o, await deriveRoomKey(o.passphrase, o.room));
  }

  /** This client's nick. */
  get nick(): string {
    return this.#o.nick;
  }

  /** Whether the client is in its room now. */
  get joined(): boolean {
    return this.#joined;
  }

  /** Texts not yet acknowledged by the relay. */
  get pending(): number {
    return this.#outbox.size;
  }

  /** This client's member entry sealer, for voice. */
  get sealer(): Sealer {
    return this.#sealer;
  }

  /** Opens voice frames of other members. */
  get opener(): Opener {
    return this.#opener;
  }

  /** Connects and joins; rejects with {@linkcode ClientFatalError} when that fails. */
  async start(): Promise<void> {
    await this.#connect(true);
  }

  /** Queues a text; it is sent as soon as the connection and the rate limit allow. */
  sendText(text: string): void {
    this.#outbox.add(text);
    this.#flush();
  }

  /** Asks the relay for the member list (answered by a `who` event). */
  who(): void {
    this.#link?.send(encodeFrame(FrameType.Who));
  }

  /** Asks for (true) or gives up (false) the floor. */
  talk(on: boolean): void {
    this.#link?.send(encodeFrame(FrameType.Talk, encodeJson({ on })));
  }

  /** Seals and sends one encoded voice frame. */
  sendVoice(packet: Uint8Array): void {
    if (this.#joined) {
      this.#link?.send(encodeFrame(FrameType.Voice, this.#sealer.sealVoice(packet)), "voice");
    }
  }

  /**
   * Leaves cleanly: waits until every text is acknowledged (or `lingerMs`
   * passes without a relay), says bye and closes. Returns how many texts were
   * not delivered.
   */
  async close(): Promise<number> {
    if (this.#outbox.size > 0) {
      await new Promise<void>((resolve) => {
        this.#drainWaiters.push(resolve);
        this.#flush();
      });
    }
    this.#closing = true;
    clearTimeout(this.#flushTimer);
    await this.#link?.bye("leaving");
    return this.#outbox.size;
  }

  async #connect(first: boolean): Promise<void> {
    let attempt = first ? 0 : this.#attempt;
    const lostSince = Date.now();
    const linger = this.#o.lingerMs ?? 30_000;
    while (!this.#closing) {
      const addr = this.#o.addresses[attempt % this.#o.addresses.length];
      try {
        const link = await ClientLink.open(
          addr,
          (t, p) => this.#onFrame(t, p),
          this.#o.connect,
          (message) => this.#o.onEvent({ event: "notice", message }),
        );
        this.#link = link;
        link.send(encodeFrame(
          FrameType.Hello,
          encodeJson({
            v: PROTOCOL_VERSION,
            nick: this.#o.nick,
            room: this.#o.room,
            session: toHex(this.#sealer.session),
            keyId: this.#opener.keyId,
            resume: this.#everJoined,
          }),
        ));
        const ended = link.run(PING_EVERY_MS, SILENCE_LIMIT_MS);
        if (first) {
          // The first join decides whether the client can run at all.
          await Promise.race([this.#waitJoined(), ended.then((why) => Promise.reject(why))]);
        }
        ended.then((why) => this.#lost(why));
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
        if (Date.now() - lostSince > linger && this.#outbox.size > 0 && this.#drainWaiters.length) {
          this.#closing = true;
          this.#settleDrain();
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
    setTimeout(() => {
      this.#connect(false).catch((err) => {
        this.#o.onEvent({ event: "error", code: err.code ?? "disconnected", message: err.message });
        this.#closing = true;
        this.#settleDrain();
        if (err instanceof ClientFatalError) this.#o.onFatal?.(err);
      });
    }, inMs);
  }

  #onFrame(type: number, payload: Uint8Array): void {
    if (CONTROL_TYPES.has(type)) {
      return this.#o.onEvent(controlEvent(type, payload, this.#o.room, this.#inbox));
    }
    switch (type) {
      case FrameType.Welcome:
        return this.#welcome(decodeJson<Welcome>(payload));
      case FrameType.Text:
        return this.#inbox.text(payload);
      case FrameType.Voice:
        return this.#inbox.voice(payload);
      case FrameType.Ack: {
        const { seq, status } = decodeAck(payload);
        this.#outbox.ack(seq, status === ACK_FORWARDED);
        if (status !== ACK_FORWARDED) this.#scheduleFlush(1000);
        if (this.#outbox.size === 0) this.#settleDrain();
        return;
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
    this.#inbox.reset(w.members);
    this.#bucket = new TokenBucket(w.limits.textRate * 0.95, w.limits.textBurst, Date.now());
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
      });}
    for (const nick of w.talking) this.#o.onEvent({ event: "talk-start", nick, room: w.room });
    this.#everJoined = true;
    this.#attempt = 0;
    this.#onJoined?.();
    this.#onJoined = null;
    this.#outbox.resetConnection(rejoined);
    this.#flush();
  }

  #flush(): void {
    const link = this.#link;
    if (!link || !this.#joined || !this.#bucket) return;
    for (const p of this.#outbox.unsent()) {
      const now = Date.now();
      if (!this.#bucket.take(now)) return this.#scheduleFlush(this.#bucket.waitMs(now));
      const plain = encodeUtf8(JSON.stringify({ n: p.n, text: p.text, ts: p.ts }));
      link.send(encodeFrame(FrameType.Text, this.#sealer.sealText(plain)));
      this.#outbox.markSent(p);
    }
  }

  #scheduleFlush(ms: number): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = setTimeout(() => this.#flush(), Math.max(1, ms));
  }

  #settleDrain(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }
}
