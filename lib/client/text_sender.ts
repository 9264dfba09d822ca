/**
 * The sending half of a client's texts: the {@linkcode Outbox} of texts not
 * yet acknowledged, the relay's advertised text rate (kept a little under, so
 * the relay never has to refuse), the timer that sends what the rate held
 * back, and the waiters of a clean leave. It reports each own text as
 * `sent`, then `acked`, `refused` (it goes out again) or `undelivered`, so the
 * user sees every text's fate and none is dropped silently.
 *
 * @module
 */

import type { ClientEvent } from "./events.ts";
import { Outbox } from "./outbox.ts";
import type { TextBody } from "./inbox.ts";
import { encodeUtf8 } from "../protocol.ts";
import { TokenBucket } from "../token_bucket.ts";

/** Sends one plaintext text body (seals and writes it); false when there is no connection. */
export type TextTransmit = (plain: Uint8Array) => boolean;

// A refused text waits this long before it goes out again.
const RETRY_AFTER_REFUSAL_MS = 1000;

/** The outbox, rate limit and delivery events of one client. */
export class TextSender {
  readonly #outbox = new Outbox();
  readonly #onEvent: (e: ClientEvent) => void;
  #transmit: TextTransmit | null = null;
  #bucket: TokenBucket | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #drainWaiters: (() => void)[] = [];

  /** Reports delivery events through `onEvent`. */
  constructor(onEvent: (e: ClientEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Texts not yet acknowledged. */
  get pending(): number {
    return this.#outbox.size;
  }

  /** Whether a leave is waiting for the outbox to empty. */
  get draining(): boolean {
    return this.#drainWaiters.length > 0;
  }

  /** Queues a text from `nick` in `room` and reports it as `sent`; returns its number. */
  add(text: string, action: boolean, nick: string, room: string): number {
    const p = this.#outbox.add(text, Date.now(), action);
    const e: ClientEvent = { event: "sent", n: p.n, nick, room, text, ts: p.ts };
    if (action) e.action = true;
    this.#onEvent(e);
    this.flush();
    return p.n;
  }

  /**
   * A connection joined with text limits `rate`/`burst`: texts go through
   * `transmit` from now on; after a reconnect (`rejoined`) the lately
   * acknowledged ones go out again.
   */
  connected(transmit: TextTransmit, rate: number, burst: number, rejoined: boolean): void {
    this.#transmit = transmit;
    this.#bucket = new TokenBucket(rate * 0.95, burst, Date.now());
    this.#outbox.resetConnection(rejoined);
    this.flush();
  }

  /** The connection is gone: nothing is sent until the next {@linkcode connected}. */
  disconnected(): void {
    this.#transmit = null;
    clearTimeout(this.#timer);
  }

  /** The relay's answer to text number `seq` of this connection. */
  ack(seq: number, forwarded: boolean): void {
    const p = this.#outbox.ack(seq, forwarded);
    if (p && forwarded) this.#onEvent({ event: "acked", n: p.n });
    else if (p) this.#onEvent({ event: "refused", n: p.n, reason: "rate limit" });
    if (!forwarded) this.#schedule(RETRY_AFTER_REFUSAL_MS);
    if (this.#outbox.size === 0) this.settle();
  }

  /** Sends what the connection and the rate limit allow now; schedules the rest. */
  flush(): void {
    const transmit = this.#transmit;
    if (!transmit || !this.#bucket) return;
    for (const p of this.#outbox.unsent()) {
      const now = Date.now();
      if (!this.#bucket.take(now)) return this.#schedule(this.#bucket.waitMs(now));
      const body: TextBody = { n: p.n, text: p.text, ts: p.ts };
      if (p.action) body.me = true;
      if (!transmit(encodeUtf8(JSON.stringify(body)))) return;
      this.#outbox.markSent(p);
    }
  }

  /** Waits until every text is acknowledged, or until {@linkcode settle} gives up. */
  async drain(): Promise<void> {
    if (this.#outbox.size === 0) return;
    await new Promise<void>((resolve) => {
      this.#drainWaiters.push(resolve);
      this.flush();
    });
  }

  /** Releases whoever waits in {@linkcode drain}. */
  settle(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  /** Reports every text still pending as undelivered and forgets it. */
  giveUp(): void {
    for (const p of this.#outbox.items.slice()) {
      this.#onEvent({ event: "undelivered", n: p.n, text: p.text });
    }
    this.#outbox.clear();
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), Math.max(1, ms));
  }
}
