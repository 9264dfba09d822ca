/**
 * The relays of a cluster and which of them are alive. Each relay claims a
 * numbered slot in a key-value bucket whose entries expire (`max_age`), with
 * `create` (which refuses a second holder), and renews it with a heartbeat;
 * the slot number also gives the relay its own range of member ids, so ids
 * never collide within a room. Every relay watches the bucket: a relay not
 * heard from for a TTL is dead, and `onDeath` cleans up after it. While this
 * relay itself is cut off from NATS nobody can be heard, so judging is paused.
 *
 * @module
 */

import type { KV } from "nats";
import { decodeValue, encodeValue, type SlotValue } from "./codec.ts";
import type { LogValue } from "../log.ts";
import { idRangeOf, MAX_RELAYS } from "./id_range.ts";

export { IDS_PER_RELAY, MAX_RELAYS } from "./id_range.ts";

/** Timing of heartbeats. */
export interface PeerTiming {
  /** A relay silent this long is dead (also the bucket's max_age). */
  ttlMs: number;
  /** How often a relay renews its slot. */
  heartbeatMs: number;
}

/** This relay's slot and its view of the others. */
export class Peers {
  /** This relay's id. */
  readonly id: string;
  /** Called once for each relay found dead. */
  onDeath: (relay: string) => void = () => {};
  readonly #kv: KV;
  readonly #timing: PeerTiming;
  readonly #log: (event: string, fields: Record<string, LogValue>) => void;
  readonly #lastSeen = new Map<string, number>();
  readonly #slotOwner = new Map<string, string>();
  readonly #dead = new Set<string>();
  readonly #started = Date.now();
  #slot = -1;
  #rev = 0;
  #frozen = false;
  #beating = false;
  #timers: ReturnType<typeof setInterval>[] = [];
  #stopWatch: (() => void) | null = null;

  private constructor(kv: KV, id: string, timing: PeerTiming, log: Peers["log"]) {
    this.#kv = kv;
    this.id = id;
    this.#timing = timing;
    this.#log = log;
  }

  /** Logs one event. */
  log(event: string, fields: Record<string, LogValue>): void {
    this.#log(event, fields);
  }

  /** Claims a slot, starts the heartbeat and the watch; throws when every slot is taken. */
  static async start(kv: KV, id: string, timing: PeerTiming, log: Peers["log"]): Promise<Peers> {
    const peers = new Peers(kv, id, timing, log);
    await peers.#claim();
    await peers.#watch();
    peers.#timers.push(
      setInterval(() => peers.#beat(), timing.heartbeatMs),
      setInterval(() => peers.#judge(), Math.max(100, timing.heartbeatMs / 2)),
    );
    return peers;
  }

  /** This relay's slot number. */
  get slot(): number {
    return this.#slot;
  }

  /** The member ids this relay hands out, inclusive. */
  idRange(): [number, number] {
    return idRangeOf(this.#slot);
  }

  /** Whether `relay` is alive as far as this relay can tell. */
  alive(relay: string): boolean {
    if (relay === this.id) return true;
    const seen = this.#lastSeen.get(relay);
    if (seen === undefined) return false;
    return this.#frozen || Date.now() - seen <= this.#timing.ttlMs;
  }

  /** NATS is gone: stop judging others (they cannot be heard either). */
  freeze(): void {
    this.#frozen = true;
  }

  /** NATS is back: everyone known gets a fresh TTL, and this relay beats at once. */
  thaw(): void {
    const now = Date.now();
    for (const relay of this.#lastSeen.keys()) this.#lastSeen.set(relay, now);
    this.#frozen = false;
    this.#beat();
  }

  /** Stops the heartbeat and gives the slot back. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#stopWatch?.();
    if (this.#slot >= 0) {
      await this.#kv.delete(`slot.${this.#slot}`, { previousSeq: this.#rev }).catch(() => {});
    }
  }

  async #claim(): Promise<void> {
    const value = encodeValue({ relay: this.id, started: this.#started } satisfies SlotValue);
    for (let n = 0; n < MAX_RELAYS; n++) {
      try {
        this.#rev = await this.#kv.create(`slot.${n}`, value);
        this.#slot = n;
        return;
      } catch (err) {
        if (!/wrong last sequence/.test(String(err))) throw err;
      }
    }
    throw new Error(`the cluster is full: all ${MAX_RELAYS} relay slots are taken`);
  }

  async #beat(): Promise<void> {
    if (this.#frozen || this.#beating || this.#slot < 0) return;
    this.#beating = true;
    const key = `slot.${this.#slot}`;
    const value = encodeValue({ relay: this.id, started: this.#started } satisfies SlotValue);
    try {
      this.#rev = await this.#kv.update(key, value, this.#rev);
    } catch {
      try {
        // Expired while NATS was away; take it back if nobody else has.
        this.#rev = await this.#kv.create(key, value);
      } catch (err) {
        if (/wrong last sequence/.test(String(err))) {
          const old = this.#slot;
          await this.#claim().catch(() => {});
          this.#log("cluster-slot-lost", { relay: this.id, slot: old, now: this.#slot });
        }
      }
    } finally {
      this.#beating = false;
    }
  }

  async #watch(): Promise<void> {
    let ready!: () => void;
    const initialized = new Promise<void>((resolve) => ready = resolve);
    const watch = await this.#kv.watch({ key: "slot.*", initializedFn: () => ready() });
    this.#stopWatch = () => watch.stop();
    (async () => {
      for await (const e of watch) {
        if (e.operation === "PUT") {
          const v = decodeValue<SlotValue>(e.value);
          if (!v) continue;
          this.#slotOwner.set(e.key, v.relay);
          this.#lastSeen.set(v.relay, Date.now());
          if (this.#dead.delete(v.relay)) this.#log("relay-back", { relay: v.relay });
        } else {
          // A relay that shut down in order gave its slot back: dead at once.
          const relay = this.#slotOwner.get(e.key);
          if (relay && relay !== this.id) this.#lastSeen.set(relay, 0);
        }
      }
    })().catch((err) => this.#log("error", { code: "cluster-watch", message: String(err) }));
    await initialized;
  }

  #judge(): void {
    if (this.#frozen) return;
    for (const relay of this.#lastSeen.keys()) {
      if (relay === this.id || this.#dead.has(relay) || this.alive(relay)) continue;
      this.#dead.add(relay);
      this.onDeath(relay);
    }
  }
}
