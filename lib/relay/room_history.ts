/**
 * The last few seconds of texts a room's relay forwarded, kept so that a member
 * coming back after a lost connection (a restarted relay, a dropped network)
 * gets what was said while it was away. Together with clients that send again
 * what was acknowledged lately and receivers that drop copies, a relay killed
 * mid-conversation loses no text. The frames are the sealed, nick-stamped
 * bytes the relay forwards: nothing here can read them.
 *
 * @module
 */

/** Bounds of a room's history. */
export interface HistoryLimits {
  /** Texts kept at most. */
  maxFrames: number;
  /** Bytes kept at most. */
  maxBytes: number;
  /** Texts older than this are forgotten, ms. */
  maxAgeMs: number;
}

/** Default bounds: 30 s, 256 texts, 256 KiB per room. */
export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  maxFrames: 256,
  maxBytes: 256 * 1024,
  maxAgeMs: 30_000,
};

interface Entry {
  nick: string;
  frame: Uint8Array;
  at: number;
}

/** Recent texts of one room, oldest first. */
export class RecentTexts {
  readonly #limits: HistoryLimits;
  #entries: Entry[] = [];
  #bytes = 0;

  constructor(limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {
    this.#limits = limits;
  }

  /** Number of texts kept. */
  get size(): number {
    return this.#entries.length;
  }

  /** Remembers a forwarded text frame of `nick`. */
  add(nick: string, frame: Uint8Array, now: number): void {
    this.#entries.push({ nick, frame, at: now });
    this.#bytes += frame.length;
    this.#trim(now);
  }

  /**
   * Frames of everyone but `nick` (a member's own texts are not echoed), oldest
   * first; when they exceed `maxBytes`, only the newest that fit.
   */
  except(nick: string, now: number, maxBytes: number = Infinity): Uint8Array[] {
    this.#trim(now);
    const out: Uint8Array[] = [];
    let bytes = 0;
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i];
      if (e.nick === nick) continue;
      if (bytes + e.frame.length > maxBytes) break;
      bytes += e.frame.length;
      out.push(e.frame);
    }
    return out.reverse();
  }

  #trim(now: number): void {
    const { maxFrames, maxBytes, maxAgeMs } = this.#limits;
    let drop = 0;
    while (
      drop < this.#entries.length &&
      (this.#entries.length - drop > maxFrames || this.#bytes > maxBytes ||
        now - this.#entries[drop].at > maxAgeMs)
    ) {
      this.#bytes -= this.#entries[drop].frame.length;
      drop++;
    }
    if (drop) this.#entries = this.#entries.slice(drop);
  }
}

const histories = new WeakMap<object, RecentTexts>();

/** The history of a room (created on first use, gone with the room). */
export function recentTextsOf(room: object): RecentTexts {
  let h = histories.get(room);
  if (!h) histories.set(room, h = new RecentTexts());
  return h;
}
