/**
 * Sender-key hash ratchets, as in Signal's Sender Keys: a chain key CK_i gives
 * the message key of message i (HMAC-SHA256(CK_i, 0x01)) and the next chain
 * key (HMAC-SHA256(CK_i, 0x02)); the old chain key is then dropped, so a key
 * taken from memory later opens nothing sent before. A sender starts a new
 * chain from fresh random bytes whenever the room loses a member, under the
 * next epoch number (u16, carried in every message so a receiver picks the
 * chain); message numbers go on across chains.
 *
 * @module
 */

import { createHmac, randomBytes } from "node:crypto";

/** Bytes of a chain key and of a message key. */
export const CHAIN_KEY_BYTES = 32;

const MESSAGE = new Uint8Array([1]);
const NEXT = new Uint8Array([2]);

function step(ck: Uint8Array): { mk: Uint8Array; next: Uint8Array } {
  return {
    mk: new Uint8Array(createHmac("sha256", ck).update(MESSAGE).digest()),
    next: new Uint8Array(createHmac("sha256", ck).update(NEXT).digest()),
  };
}

/** A chain's state at one message number: what a member hands to another. */
export interface ChainState {
  /** Which chain of its sender this is (u16, counting rotations). */
  epoch: number;
  /** Number of the next message this key opens. */
  index: number;
  /** Chain key at that number. */
  key: Uint8Array;
}

/** How long a sender keeps the point it shares with members who join (the relay's history span). */
export const SHARE_POINT_MS = 30_000;

/** The sending half: one chain per sender and kind of message. */
export class SendingChain {
  #epoch = 0;
  #index: number;
  #key: Uint8Array;
  #share: ChainState;
  #shareAt: number;

  /** A fresh random chain whose first message is number `index`. */
  constructor(index = 1, now = Date.now()) {
    this.#index = index;
    this.#key = new Uint8Array(randomBytes(CHAIN_KEY_BYTES));
    this.#share = { epoch: 0, index, key: this.#key };
    this.#shareAt = now;
  }

  /** The current chain's epoch. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Number of the next message. */
  get index(): number {
    return this.#index;
  }

  /**
   * The state a joining member gets: from at most {@linkcode SHARE_POINT_MS}
   * back, so it can read what the relay's history replays to it, and nothing
   * older.
   */
  sharePoint(now = Date.now()): ChainState {
    if (now - this.#shareAt > SHARE_POINT_MS) {
      this.#share = { epoch: this.#epoch, index: this.#index, key: this.#key };
      this.#shareAt = now;
    }
    return this.#share;
  }

  /** Starts a new random chain at the current number (a member left: it must not read on). */
  rotate(now = Date.now()): void {
    this.#key = new Uint8Array(randomBytes(CHAIN_KEY_BYTES));
    this.#epoch = (this.#epoch + 1) & 0xffff;
    this.#share = { epoch: this.#epoch, index: this.#index, key: this.#key };
    this.#shareAt = now;
  }

  /** The next message's number and key; the chain moves past it. */
  next(): { epoch: number; index: number; mk: Uint8Array } {
    const { mk, next } = step(this.#key);
    const index = this.#index++;
    this.#key = next;
    return { epoch: this.#epoch, index, mk };
  }
}

/** Why a receiving chain gives no key. */
export type NoKey = "consumed" | "too-far" | "before-start";

/** A message key found for a number; {@linkcode commit} once the message proved genuine. */
export interface FoundKey {
  /** The message key. */
  mk: Uint8Array;
  /** Erases the key (and keeps the skipped ones): call only after authentication. */
  commit(): void;
}

/** The receiving half of one sender's chain. */
export class ReceivingChain {
  /** The sender's epoch of this chain. */
  readonly epoch: number;
  /** First number this chain opens. */
  readonly start: number;
  #index: number;
  #key: Uint8Array;
  readonly #skipped = new Map<number, Uint8Array>();
  readonly #maxSkip: number;
  readonly #keepSkipped: number;

  /**
   * A chain from a shared state. `maxSkip`: the largest jump ahead accepted;
   * `keepSkipped`: how many keys of messages not yet seen are kept.
   */
  constructor(state: ChainState, maxSkip: number, keepSkipped: number) {
    this.epoch = state.epoch;
    this.start = state.index;
    this.#index = state.index;
    this.#key = state.key.slice();
    this.#maxSkip = maxSkip;
    this.#keepSkipped = keepSkipped;
  }

  /** The key of message `index`, or why there is none. Nothing changes until `commit`. */
  find(index: number): FoundKey | NoKey {
    if (index < this.start) return "before-start";
    if (index < this.#index) {
      const mk = this.#skipped.get(index);
      if (!mk) return "consumed";
      return { mk, commit: () => this.#skipped.delete(index) };
    }
    if (index - this.#index > this.#maxSkip) return "too-far";
    let key = this.#key;
    const passed: [number, Uint8Array][] = [];
    for (let i = this.#index; i < index; i++) {
      const s = step(key);
      passed.push([i, s.mk]);
      key = s.next;
    }
    const { mk, next } = step(key);
    return {
      mk,
      commit: () => {
        for (const [i, k] of passed) this.#skipped.set(i, k);
        while (this.#skipped.size > this.#keepSkipped) {
          this.#skipped.delete(this.#skipped.keys().next().value!);
        }
        this.#index = index + 1;
        this.#key = next;
      },
    };
  }
}
