/**
 * The half-duplex floor across relays: one key per room in a key-value bucket
 * whose entries expire (`max_age`). A relay takes the floor for a local member
 * with `create` (refused while someone holds it), renews it with `update` at
 * the revision it holds (compare-and-set) while the member talks, and deletes
 * it at that revision when the member stops. A relay that dies stops renewing,
 * so its floor lapses within the TTL; a holder on a relay known dead is taken
 * over at once. If NATS cannot be reached the local decision stands: the room
 * keeps working on each side, at the price of two talkers until NATS is back.
 *
 * @module
 */

import type { KV } from "nats";
import { decodeValue, encodeName, encodeValue, type FloorValue } from "./codec.ts";

interface Held {
  nick: string;
  rev: number;
  /** Serialises renewals and the release, so each uses the latest revision. */
  chain: Promise<void>;
  released: boolean;
}

/** Floor keys this relay holds for its members. */
export class ClusterFloor {
  /** Called when a held floor was lost (it lapsed and another relay took it). */
  onLost: (room: string, nick: string) => void = () => {};
  readonly #kv: KV;
  readonly #me: string;
  readonly #alive: (relay: string) => boolean;
  readonly #held = new Map<string, Held>();
  readonly #timer: ReturnType<typeof setInterval>;

  /** Floors in `kv` for relay `me`, renewed every `renewMs`. */
  constructor(kv: KV, me: string, alive: (relay: string) => boolean, renewMs: number) {
    this.#kv = kv;
    this.#me = me;
    this.#alive = alive;
    this.#timer = setInterval(() => this.#renewAll(), renewMs);
  }

  /** Takes the floor of `room` for `nick`: null when granted, else the holder's nick. */
  async claim(room: string, nick: string): Promise<string | null> {
    const key = encodeName(room);
    const value = encodeValue({ relay: this.#me, nick } satisfies FloorValue);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return this.#hold(room, nick, await this.#kv.create(key, value));
      } catch (err) {
        if (!/wrong last sequence/.test(String(err))) throw err;
      }
      const e = await this.#kv.get(key);
      if (!e || e.operation !== "PUT") continue; // lapsed or released meanwhile: create again
      const v = decodeValue<FloorValue>(e.value);
      if (v && v.relay === this.#me && v.nick === nick) return this.#hold(room, nick, e.revision);
      // Held by a dead relay, or a stale entry of ours (this relay's floor
      // check already found the room free): take it over at that revision.
      if (!v || v.relay === this.#me || !this.#alive(v.relay)) {
        try {
          return this.#hold(room, nick, await this.#kv.update(key, value, e.revision));
        } catch {
          continue;
        }
      }
      return v.nick;
    }
    throw new Error(`the floor of ${room} changed hands too fast to claim`);
  }

  /** Gives up the floor of `room` if `nick` holds it through this relay. */
  release(room: string, nick: string): void {
    const h = this.#held.get(room);
    if (!h || h.nick !== nick) return;
    this.#held.delete(room);
    h.released = true;
    h.chain = h.chain.then(() =>
      this.#kv.delete(encodeName(room), { previousSeq: h.rev }).catch(() => {})
    );
  }

  /** The holder of `room`'s floor, if any. */
  async holder(room: string): Promise<FloorValue | null> {
    const e = await this.#kv.get(encodeName(room));
    return e?.operation === "PUT" ? decodeValue<FloorValue>(e.value) : null;
  }

  /** Renews every held floor now (after NATS came back). */
  renewNow(): void {
    this.#renewAll();
  }

  /** Stops renewing and releases every held floor. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const chains = [...this.#held].map(([room, h]) => {
      this.release(room, h.nick);
      return h.chain;
    });
    await Promise.all(chains);
  }

  #hold(room: string, nick: string, rev: number): null {
    const old = this.#held.get(room);
    if (old && old.nick !== nick) old.released = true;
    this.#held.set(room, { nick, rev, chain: old?.chain ?? Promise.resolve(), released: false });
    return null;
  }

  #renewAll(): void {
    for (const [room, h] of this.#held) {
      h.chain = h.chain.then(async () => {
        if (h.released) return;
        const value = encodeValue({ relay: this.#me, nick: h.nick } satisfies FloorValue);
        try {
          h.rev = await this.#kv.update(encodeName(room), value, h.rev);
        } catch (err) {
          if (!/wrong last sequence/.test(String(err)) || h.released) return;
          // Lapsed (NATS was away longer than the TTL): take it again if still free.
          const again = await this.#kv.create(encodeName(room), value).catch(() => null);
          if (again !== null) {
            h.rev = again;
            return;
          }
          if (this.#held.get(room) === h) this.#held.delete(room);
          this.onLost(room, h.nick);
        }
      });
    }
  }
}
