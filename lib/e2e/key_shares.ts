/**
 * The key shares one member exchanges with the others: each share it sends is
 * numbered (one sequence per run, to anyone) and addressed to its member id for
 * the relay; each share it takes must open under the pair's key and carry a number
 * above the last one taken from that session, kept across a leave and a rejoin, so
 * a replayed share cannot roll chains back. Shares that come before their sender's
 * member entry (a cluster may order them so) are kept, bounded, until it arrives.
 *
 * @module
 */

import { CipherError } from "../cipher.ts";
import { openShare, sealShare, type ShareBody } from "./envelope.ts";
import type { PairKeys } from "./pairwise.ts";
import type { Peer } from "./peer_roster.ts";

/** Most members whose early shares are kept. */
const EARLY_SENDERS = 256;

/** Numbering, replay checks and early keeping of one member's key shares. */
export class KeyShares {
  readonly #session: Uint8Array;
  /** Shares that came before their sender's member entry, by sender id. */
  readonly #early = new Map<number, Uint8Array[]>();
  /** Number of the last key share sent (to anyone: one sequence per run). */
  #sharesOut = 0;
  /** Number of the last key share taken from each session, kept when it leaves and comes back. */
  readonly #sharesIn = new Map<string, number>();

  /** Shares of the member whose session id is `session`. */
  constructor(session: Uint8Array) {
    this.#session = session;
  }

  /** A share of `body` for `peer`, under their `pair` keys, as sent: `u16 to` + sealed. */
  seal(peer: Peer, pair: PairKeys, body: ShareBody): Uint8Array {
    const sealed = sealShare(
      pair.shareOut,
      ++this.#sharesOut,
      this.#session,
      peer.session,
      body,
    );
    const out = new Uint8Array(2 + sealed.length);
    out[0] = peer.member.id >>> 8;
    out[1] = peer.member.id & 0xff;
    out.set(sealed, 2);
    return out;
  }

  /** Opens a share from `peer` under their `pair` keys; throws `forged` (it does not open) or `replayed`. */
  open(peer: Peer, pair: PairKeys, body: Uint8Array): ShareBody {
    let share;
    try {
      share = openShare(pair.shareIn, peer.session, this.#session, body);
    } catch (cause) {
      throw new CipherError("forged", `a key share said to be from ${peer.member.nick} is not`, {
        cause,
      });
    }
    if (share.seq <= (this.#sharesIn.get(peer.member.session) ?? 0)) {
      throw new CipherError("replayed", `a key share from ${peer.member.nick} was replayed`);
    }
    this.#sharesIn.set(peer.member.session, share.seq);
    return share.body;
  }

  /** Keeps a share from member `fromId`, whose entry has not come yet. */
  keepEarly(fromId: number, body: Uint8Array): void {
    if (this.#early.size < EARLY_SENDERS) {
      this.#early.set(fromId, [...this.#early.get(fromId) ?? [], body]);
    }
  }

  /** The shares kept from member `id`, handed out once. */
  takeEarly(id: number): Uint8Array[] {
    const early = this.#early.get(id) ?? [];
    this.#early.delete(id);
    return early;
  }

  /** Forgets the shares kept by id (ids are the relay's, given per connection). */
  forgetEarly(): void {
    this.#early.clear();
  }
}
