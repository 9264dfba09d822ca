/**
 * Texts on their way out, until the relay acknowledges them. Each text gets a
 * message number inside its sealed payload; the relay acknowledges the n-th
 * text of each connection, so after a dropped connection the client sends
 * again exactly what was not acknowledged, in order, and receivers drop the
 * copies they already showed ({@linkcode DuplicateFilter}). Pure: no sockets.
 *
 * @module
 */

/** A text waiting for its acknowledgement. */
export interface Pending {
  /** Message number within the sender's session (starts at 1). */
  n: number;
  /** The text. */
  text: string;
  /** When it was typed (ms since epoch). */
  ts: number;
  /** Sequence number on the current connection, once sent on it. */
  connSeq: number | null;
  /** A `/me` action. */
  action?: boolean;
}

/** How long an acknowledged text is kept to be sent again after a lost connection. */
export const RESEND_RECENT_MS = 5000;
/** At most this many acknowledged texts are kept for that. */
export const RESEND_RECENT_MAX = 20;

/** The queue of unacknowledged texts of one client session. */
export class Outbox {
  #next = 1;
  #items: Pending[] = [];
  #connSeq = 0;
  // Acknowledged lately: an ack means "forwarded", not "written to every
  // receiver"; a relay killed in between loses what it had queued. These go
  // out again after a reconnect, and receivers drop the copies they had.
  #recent: { p: Pending; at: number }[] = [];

  /** Number of texts not yet acknowledged. */
  get size(): number {
    return this.#items.length;
  }

  /** Texts not yet acknowledged, in order. */
  get items(): readonly Pending[] {
    return this.#items;
  }

  /** Adds a text (an action for `/me`); returns its entry. */
  add(text: string, ts: number = Date.now(), action = false): Pending {
    const p: Pending = { n: this.#next++, text, ts, connSeq: null };
    if (action) p.action = true;
    this.#items.push(p);
    return p;
  }

  /** Texts not yet sent on the current connection, in order. */
  unsent(): Pending[] {
    return this.#items.filter((p) => p.connSeq === null);
  }

  /** Records that `p` went out as the next text of the current connection. */
  markSent(p: Pending): void {
    p.connSeq = ++this.#connSeq;
  }

  /**
   * A new connection: everything unacknowledged must be sent again. After a
   * lost connection (`lost`), so are the texts acknowledged in the last
   * {@linkcode RESEND_RECENT_MS} before `now`, in message order.
   */
  resetConnection(lost = false, now: number = Date.now()): void {
    this.#connSeq = 0;
    if (lost) {
      const again = this.#recent.filter((r) => now - r.at <= RESEND_RECENT_MS).map((r) => r.p);
      this.#items = [...again, ...this.#items].sort((a, b) => a.n - b.n);
    }
    this.#recent = [];
    for (const p of this.#items) p.connSeq = null;
  }

  /** Forgets every pending text (the client gave up delivering them). */
  clear(): void {
    this.#items = [];
  }

  /**
   * Applies an ack for the connection's `seq`-th text. Forwarded: the text is
   * done. Refused by the rate limit: it waits to be sent again (the client
   * paces itself by the relay's advertised limit, so this is rare). Returns the
   * entry, or null for an unknown seq.
   */
  ack(seq: number, forwarded: boolean): Pending | null {
    const i = this.#items.findIndex((p) => p.connSeq === seq);
    if (i < 0) return null;
    const p = this.#items[i];
    if (forwarded) {
      this.#items.splice(i, 1);
      this.#recent.push({ p, at: Date.now() });
      if (this.#recent.length > RESEND_RECENT_MAX) this.#recent.shift();
    } else p.connSeq = null;
    return p;
  }
}

/** Drops texts a receiver has already shown, by sender session and message number. */
export class DuplicateFilter {
  readonly #seen = new Map<string, Set<number>>();
  readonly #window: number;

  /** Remembers the last `window` message numbers of each session. */
  constructor(window = 10_000) {
    this.#window = window;
  }

  /** True the first time a (session, n) pair is offered, false for a copy. */
  firstTime(session: string, n: number): boolean {
    let seen = this.#seen.get(session);
    if (!seen) this.#seen.set(session, seen = new Set());
    if (seen.has(n)) return false;
    seen.add(n);
    if (seen.size > this.#window) seen.delete(seen.values().next().value as number);
    return true;
  }
}
