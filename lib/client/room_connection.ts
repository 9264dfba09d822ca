/**
 * A client's connection to its room, kept up across relays and losses: it dials
 * each relay of the failover list in turn, says hello, and on the first join waits
 * for the welcome (whose failure decides whether the client can run at all). After
 * a loss it reconnects with backoff until closed, and gives pending texts up once
 * it has been without a relay for the linger time. Each leave starts a new
 * generation: frames and losses of a connection left behind never reach the client.
 *
 * @module
 */

import { backoffDelay } from "./backoff.ts";
import { ClientLink } from "./link.ts";
import { ClientFatalError } from "./errors.ts";
import type { ChatClientOptions } from "./client_options.ts";
import type { TextSender } from "./text_sender.ts";

const PING_EVERY_MS = 15_000;
const SILENCE_LIMIT_MS = 45_000;

/** What a {@linkcode RoomConnection} needs of its client. */
export interface RoomConnectionHooks {
  /** The client's settings (read at each use: the client may change who it is). */
  options: ChatClientOptions;
  /** The client's texts, told when the connection comes and goes. */
  texts: TextSender;
  /** The hello frame to send; `resume` when the client was in the room before. */
  hello(resume: boolean): Uint8Array;
  /** A frame of the current connection. */
  onFrame(type: number, payload: Uint8Array): void;
  /** The current connection is gone (member ids, which are per connection, are void). */
  onLost(): void;
}

/** The connection, reconnection and relay failover of one client. */
export class RoomConnection {
  readonly #h: RoomConnectionHooks;
  /** Bumped when the client leaves a room for another: older connections then stay quiet. */
  #generation = 0;
  #link: ClientLink | null = null;
  #joined = false;
  #everJoined = false;
  #closing = false;
  #onJoined: (() => void) | null = null;
  /** Connection attempts since the last welcome: the backoff and the relay to try. */
  #attempt = 0;

  /** A connection, not open yet, for the client that gives `hooks`. */
  constructor(hooks: RoomConnectionHooks) {
    this.#h = hooks;
  }

  /** The current link to a relay, if any. */
  get link(): ClientLink | null {
    return this.#link;
  }

  /** Whether the client is in its room now. */
  get joined(): boolean {
    return this.#joined;
  }

  /** Whether the client was welcomed since it last joined afresh. */
  get everJoined(): boolean {
    return this.#everJoined;
  }

  /** A welcome came: the client is in its room. Returns whether it is a rejoin. */
  welcomed(): boolean {
    this.#joined = true;
    return this.#everJoined;
  }

  /** The welcome was handled: a first join waiting for it completes. Returns the link. */
  settled(): ClientLink {
    this.#everJoined = true;
    this.#attempt = 0;
    this.#onJoined?.();
    this.#onJoined = null;
    return this.#link!;
  }

  /** Lets a client that was closing connect again (it switches rooms). */
  reopen(): void {
    this.#closing = false;
  }

  /** Closes for good: no reconnect; says bye to the relay. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#h.texts.disconnected();
    await this.#link?.bye("leaving");
  }

  /** Closes the current connection without reconnecting; the next join is a fresh one. */
  async leave(): Promise<void> {
    this.#generation++;
    const link = this.#link;
    this.#link = null;
    this.#joined = false;
    this.#everJoined = false;
    this.#h.texts.disconnected();
    await link?.bye("leaving");
  }

  /**
   * Connects, trying the relays in turn. The `first` join rejects with a
   * {@linkcode ClientFatalError} when it fails; a reconnect keeps trying with backoff.
   */
  async connect(first: boolean): Promise<void> {
    const o = this.#h.options;
    let attempt = first ? 0 : this.#attempt;
    const lostSince = Date.now();
    const linger = o.lingerMs ?? 30_000;
    const generation = this.#generation;
    while (!this.#closing && generation === this.#generation) {
      const addr = o.addresses[attempt % o.addresses.length];
      try {
        const link = await ClientLink.open(
          addr,
          (t, p) => {
            // Frames still arriving on a connection to the room the client left are not for it.
            if (generation === this.#generation) this.#h.onFrame(t, p);
          },
          o.connect,
          (message) => o.onEvent({ event: "notice", message }),
        );
        if (generation !== this.#generation) return void link.fail(new Error("left the room"));
        this.#link = link;
        link.send(this.#h.hello(this.#everJoined));
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
        if (first && attempt + 1 >= o.addresses.length) {
          const msg = err instanceof Error ? err.message : String(err);
          throw new ClientFatalError("unreachable", `cannot reach the relay: ${msg}`, {
            cause: err,
          });
        }
        const texts = this.#h.texts;
        if (Date.now() - lostSince > linger && texts.pending > 0 && texts.draining) {
          this.#closing = true;
          texts.settle();
          return;
        }
        const inMs = first ? 0 : backoffDelay(attempt);
        if (!first) o.onEvent({ event: "reconnecting", inMs, attempt: attempt + 1 });
        this.#attempt = ++attempt;
        await new Promise((r) => setTimeout(r, inMs));
      }
    }
  }

  /** Reports `why` (if any) and keeps trying to reconnect, starting in `inMs`. */
  reconnectLater(why: Error | null, inMs: number): void {
    const o = this.#h.options;
    if (why) {
      const code = why instanceof ClientFatalError ? why.code : "disconnected";
      o.onEvent({ event: "error", code, message: why.message });
    }
    setTimeout(() => {
      this.connect(false).catch((err) => {
        o.onEvent({ event: "error", code: err.code ?? "disconnected", message: err.message });
        this.#closing = true;
        this.#h.texts.settle();
        if (err instanceof ClientFatalError) o.onFatal?.(err);
      });
    }, inMs);
  }

  #waitJoined(): Promise<void> {
    return new Promise((resolve) => this.#onJoined = resolve);
  }

  #lost(why: Error | null): void {
    const wasJoined = this.#joined;
    this.#joined = false;
    this.#link = null;
    this.#h.texts.disconnected();
    this.#h.onLost();
    if (this.#closing) return;
    if (
      why instanceof ClientFatalError && why.code !== "nick-taken" && !wasJoined &&
      !this.#everJoined
    ) {
      return;
    }
    const reason = why?.message ?? "the relay closed the connection";
    const o = this.#h.options;
    o.onEvent({ event: "error", code: "disconnected", message: `disconnected: ${reason}` });
    // A connection that never got as far as a welcome (refused, say, while the
    // relay still holds the old one) counts as a failed attempt: back off, and
    // let the next attempt try the next relay of the list.
    const inMs = wasJoined ? 0 : backoffDelay(this.#attempt++);
    if (inMs) o.onEvent({ event: "reconnecting", inMs, attempt: this.#attempt });
    this.reconnectLater(null, inMs);
  }
}
