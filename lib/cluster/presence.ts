/**
 * Who is in which room, cluster-wide: a mirror of the presence bucket (key
 * `<room>.<nick>`, value: the member and its relay), kept current by a watch.
 * Each relay writes the entries of its own members; every relay reads all of
 * them, so a room opened on one relay lists at once the members of the others
 * (its welcome and `/who`), and a relay that dies is cleaned out of it.
 *
 * @module
 */

import type { KV } from "nats";
import { decodeValue, parsePresenceKey, type PresenceValue } from "./codec.ts";
import type { Member } from "../protocol.ts";

/** One member's entry, with the bucket revision it was read at. */
export interface PresenceEntry {
  /** The member's relay. */
  relay: string;
  /** The member. */
  member: Member;
  /** Revision of the entry in the bucket. */
  revision: number;
}

/** The cluster-wide member list. */
export class Presence {
  /** Called after each change to a room's entry for a nick. */
  onChange: (room: string, nick: string) => void = () => {};
  readonly #rooms = new Map<string, Map<string, PresenceEntry>>();
  #stop: (() => void) | null = null;

  /** Loads the bucket and follows it; resolves once the current entries are in. */
  static async start(kv: KV, onError: (err: unknown) => void): Promise<Presence> {
    const p = new Presence();
    let ready!: () => void;
    const initialized = new Promise<void>((resolve) => ready = resolve);
    const watch = await kv.watch({ initializedFn: () => ready() });
    p.#stop = () => watch.stop();
    (async () => {
      for await (const e of watch) {
        const at = parsePresenceKey(e.key);
        if (!at) continue;
        const value = e.operation === "PUT" ? decodeValue<PresenceValue>(e.value) : null;
        p.#set(at.room, at.nick, value ? { ...value, revision: e.revision } : null);
      }
    })().catch(onError);
    await initialized;
    return p;
  }

  /** The entry of `nick` in `room`, if any. */
  get(room: string, nick: string): PresenceEntry | undefined {
    return this.#rooms.get(room)?.get(nick);
  }

  /** Nicks present in `room`. */
  nicks(room: string): string[] {
    return [...this.#rooms.get(room)?.keys() ?? []];
  }

  /** Every entry of members on `relay`, with where it is. */
  ofRelay(relay: string): { room: string; nick: string; entry: PresenceEntry }[] {
    const out = [];
    for (const [room, nicks] of this.#rooms) {
      for (const [nick, entry] of nicks) if (entry.relay === relay) out.push({ room, nick, entry });
    }
    return out;
  }

  /** Stops following the bucket. */
  stop(): void {
    this.#stop?.();
  }

  #set(room: string, nick: string, entry: PresenceEntry | null): void {
    let nicks = this.#rooms.get(room);
    if (entry) {
      if (!nicks) this.#rooms.set(room, nicks = new Map());
      nicks.set(nick, entry);
    } else if (nicks) {
      nicks.delete(nick);
      if (nicks.size === 0) this.#rooms.delete(room);
    }
    this.onChange(room, nick);
  }
}
