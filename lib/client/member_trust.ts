/**
 * Trust on first use of the room members' identities, as one client sees them:
 * each member's identity key is checked against the one kept for its nick in
 * the room (an identity that changed is reported, and its texts marked, until
 * accepted), `/verify`, `/trust` and `/accept` act on it, and `/who` and join
 * events show each member's fingerprint and whether it is verified.
 *
 * @module
 */

import { fromHex } from "../cipher.ts";
import type { ClientEvent, MemberInfo } from "./events.ts";
import type { IdentityAction } from "./commands.ts";
import type { Member } from "../protocol.ts";
import type { GroupSession } from "../e2e/group.ts";
import { fingerprint, safetyNumber } from "../e2e/identity.ts";
import type { KnownMembers } from "../e2e/known_members.ts";

/** The identities of one room's members and what this client trusts of them. */
export class MemberTrust {
  readonly #group: GroupSession;
  readonly #known: KnownMembers;
  readonly #room: string;
  readonly #members: ReadonlyMap<string, Member>;
  readonly #onEvent: (e: ClientEvent) => void;
  /** Nicks whose identity changed and was not accepted yet. */
  readonly #changed = new Set<string>();

  /** Trust for `group`'s member, over the room's `members` by nick. */
  constructor(
    group: GroupSession,
    known: KnownMembers,
    members: ReadonlyMap<string, Member>,
    onEvent: (e: ClientEvent) => void,
  ) {
    this.#group = group;
    this.#known = known;
    this.#room = group.room;
    this.#members = members;
    this.#onEvent = onEvent;
  }

  /** Checks an admitted member's identity against the one kept; a change is reported. */
  check(m: Member & { identity: string }): void {
    const verdict = this.#known.check(this.#room, m.nick, m.identity);
    if (verdict.kind === "changed") {
      this.#changed.add(m.nick);
      this.#onEvent({
        event: "identity-changed",
        nick: m.nick,
        room: this.#room,
        old: fingerprint(fromHex(verdict.old)),
        new: fingerprint(fromHex(m.identity)),
      });
    } else this.#changed.delete(m.nick);
  }

  /** Whether `nick`'s identity changed and was not accepted yet. */
  changed(nick: string): boolean {
    return this.#changed.has(nick);
  }

  /** Identity details of the members named, for `/who`. */
  describe(nicks: string[]): MemberInfo[] {
    return nicks.map((nick) => {
      const m = this.#members.get(nick);
      if (nick === this.#group.nick) {
        return { nick, fingerprint: fingerprint(this.#group.identity.publicKey), verified: true };
      }
      if (!m?.identity) return { nick, verified: false };
      return {
        nick,
        fingerprint: fingerprint(fromHex(m.identity)),
        verified: this.#known.verified(this.#room, nick, m.identity),
      };
    });
  }

  /** `/verify`, `/trust`, `/accept` for `nick`. */
  command(action: IdentityAction, nick: string): void {
    const m = this.#members.get(nick);
    if (!m?.identity || nick === this.#group.nick) {
      const message = `no member ${nick} with an identity in ${this.#room}`;
      return this.#onEvent({ event: "notice", message });
    }
    if (action === "accept") {
      this.#known.accept(this.#room, nick, m.identity);
      this.#changed.delete(nick);
      return this.#onEvent({ event: "notice", message: `accepted ${nick}'s new identity` });
    }
    if (action === "trust") {
      this.#known.trust(this.#room, nick, m.identity);
      this.#changed.delete(nick);
      return this.#onEvent({ event: "notice", message: `${nick} is marked verified` });
    }
    this.#onEvent({
      event: "safety-number",
      nick,
      room: this.#room,
      number: safetyNumber(this.#group.identity.publicKey, fromHex(m.identity)),
      verified: this.#known.verified(this.#room, nick, m.identity),
    });
  }

  /** A `joined` or `who` event with the members' fingerprints and whether they are verified. */
  decorate(e: ClientEvent): ClientEvent {
    if (e.event === "who") return { ...e, entries: this.describe(e.members) };
    if (e.event !== "joined") return e;
    const [info] = this.describe([e.nick]);
    return info.fingerprint ? { ...e, fingerprint: info.fingerprint, verified: info.verified } : e;
  }
}
