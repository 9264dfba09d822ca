/**
 * The presence entries this relay writes for its own members. Each key's
 * operations run one after another (a join, then a leave, of one nick must
 * reach the bucket in that order); a nick is reserved by compare-and-set, so
 * two relays admitting the same nick at once cannot both win; and an entry is
 * deleted only at the revision this relay wrote, so one taken over by another
 * relay stays.
 *
 * @module
 */

import type { KV } from "nats";
import { presenceKey, type PresenceValue } from "./codec.ts";
import type { LogValue } from "../log.ts";
import { encodeJson, type Member } from "../protocol.ts";

/** Writes, takes over and deletes this relay's entries in the presence bucket. */
export class OwnPresence {
  readonly #kv: KV;
  readonly #relay: string;
  readonly #alive: (relay: string) => boolean;
  readonly #log: (event: string, fields: Record<string, LogValue>) => void;
  /** Revision of each presence entry this relay wrote, by key. */
  readonly #mine = new Map<string, { rev: number; session: string }>();
  /** Pending key-value operations per presence key, in order. */
  readonly #ops = new Map<string, Promise<void>>();

  /** Entries go to `kv` under relay id `relay`; `alive` tells whether another relay lives. */
  constructor(
    kv: KV,
    relay: string,
    alive: (relay: string) => boolean,
    log: (event: string, fields: Record<string, LogValue>) => void,
  ) {
    this.#kv = kv;
    this.#relay = relay;
    this.#alive = alive;
    this.#log = log;
  }

  /**
   * Reserves `member`'s nick in `room` for this relay; `refused` runs when
   * another live relay holds it, `stillHere` is asked first so a member gone
   * meanwhile reserves nothing.
   */
  claim(room: string, member: Member, stillHere: () => boolean, refused: () => void): void {
    const key = presenceKey(room, member.nick);
    const value: PresenceValue = { relay: this.#relay, member };
    this.#chain(key, async () => {
      if (!stillHere()) return;
      const rev = await this.#reserve(key, value);
      if (rev === null) return refused();
      this.#mine.set(key, { rev, session: member.session });
    });
  }

  /** Deletes `member`'s entry in `room`, if this relay wrote it for that session. */
  release(room: string, member: Member): void {
    const key = presenceKey(room, member.nick);
    this.#chain(key, async () => {
      const mine = this.#mine.get(key);
      if (!mine || mine.session !== member.session) return;
      this.#mine.delete(key);
      // At our revision only: if another relay took the nick over, its entry stays.
      await this.#kv.delete(key, { previousSeq: mine.rev }).catch(() => {});
    });
  }

  /** Writes `member`'s entry again unconditionally (after NATS came back), if `stillHere`. */
  rewrite(room: string, member: Member, stillHere: () => boolean): void {
    const key = presenceKey(room, member.nick);
    const value: PresenceValue = { relay: this.#relay, member };
    this.#chain(key, async () => {
      if (!stillHere()) return;
      const rev = await this.#kv.put(key, encodeJson(value));
      this.#mine.set(key, { rev, session: member.session });
    });
  }

  /** Waits for pending writes, then deletes every entry this relay wrote. */
  async close(): Promise<void> {
    await Promise.all([...this.#ops.values()]);
    for (const [key, mine] of this.#mine) {
      await this.#kv.delete(key, { previousSeq: mine.rev }).catch(() => {});
    }
  }

  /** Writes a presence entry: create, or take over one of the same session or a dead relay. */
  async #reserve(key: string, value: PresenceValue): Promise<number | null> {
    const bytes = encodeJson(value);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.#kv.create(key, bytes);
      } catch (err) {
        if (!/wrong last sequence/.test(String(err))) throw err;
      }
      const e = await this.#kv.get(key);
      if (!e || e.operation !== "PUT") continue;
      const old = e.json<PresenceValue>();
      const mayTake = old.relay === this.#relay ||
        old.member.session === value.member.session || !this.#alive(old.relay);
      if (!mayTake) return null;
      try {
        return await this.#kv.update(key, bytes, e.revision);
      } catch {
        continue;
      }
    }
    return null;
  }

  #chain(key: string, op: () => Promise<void>): void {
    const next = (this.#ops.get(key) ?? Promise.resolve()).then(op).catch((err) => {
      this.#log("error", {
        code: "cluster-presence",
        message: err instanceof Error ? err.message : String(err),
      });
    });
    this.#ops.set(key, next);
    next.then(() => {
      if (this.#ops.get(key) === next) this.#ops.delete(key);
    });
  }
}
