/**
 * The members one member knows in its room, by session (which lasts for a client's
 * run) and by relay member id (which the relay hands out per connection, so an old
 * id may come to name another member: an id is only dropped while it is still its
 * own member's).
 *
 * @module
 */

import type { Member } from "../protocol.ts";
import type { PairKeys } from "./pairwise.ts";
import type { ReceivingChain } from "./ratchet.ts";

/** A member of the room as this client knows it. */
export interface Peer {
  /** The relay's entry. */
  member: Member;
  /** Session id. */
  session: Uint8Array;
  /** Identity public key. */
  identity: Uint8Array;
  /** Keys shared with it; null when it uses another passphrase. */
  pair: PairKeys | null;
  /** Its text chains, oldest first (at most two). */
  text: ReceivingChain[];
  /** Its voice chains, oldest first (at most two). */
  voice: ReceivingChain[];
}

/** Known members by session hex and by member id. */
export class PeerRoster {
  readonly #bySession = new Map<string, Peer>();
  readonly #byId = new Map<number, Peer>();

  /** The member whose session is `hex`, if known. */
  bySession(hex: string): Peer | undefined {
    return this.#bySession.get(hex);
  }

  /** The member the relay id `id` names now, if known. */
  byId(id: number): Peer | undefined {
    return this.#byId.get(id);
  }

  /** The known member called `nick`, if any. */
  byNick(nick: string): Peer | undefined {
    for (const p of this.#bySession.values()) if (p.member.nick === nick) return p;
    return undefined;
  }

  /** Every known member, in the order they were added. */
  all(): Peer[] {
    return [...this.#bySession.values()];
  }

  /** Adds a member under its session and id. */
  add(peer: Peer): void {
    this.#bySession.set(peer.member.session, peer);
    this.#byId.set(peer.member.id, peer);
  }

  /** A known member came back with the entry `m` (maybe under another id). */
  rebind(peer: Peer, m: Member): void {
    if (this.#byId.get(peer.member.id) === peer) this.#byId.delete(peer.member.id);
    peer.member = m;
    this.#byId.set(m.id, peer);
  }

  /** Forgets member `m`; returns whether it was known (with that id). */
  remove(m: Member): boolean {
    const peer = this.#bySession.get(m.session);
    if (!peer || peer.member.id !== m.id) return false;
    this.#bySession.delete(m.session);
    if (this.#byId.get(m.id) === peer) this.#byId.delete(m.id);
    return true;
  }

  /** Forgets every member id (members stay known by session). */
  forgetIds(): void {
    this.#byId.clear();
  }
}
