/**
 * Trust on first use, per room: the first identity seen for a nick in a room
 * is remembered; a later, different one is reported until the user accepts
 * it. Also remembers which identities the user verified. The store is one
 * JSON file, rewritten whole (atomically, owner-only) on each change.
 *
 * @module
 */

import { dirname } from "node:path";

/** What is remembered of one nick in one room. */
export interface KnownMember {
  /** Hex identity key first seen (or last accepted). */
  identity: string;
  /** Whether the user verified the safety number of this identity. */
  verified: boolean;
}

/** The verdict on an identity announced for a nick. */
export type TofuVerdict =
  | { kind: "new" }
  | { kind: "same"; verified: boolean }
  | { kind: "changed"; old: string };

type Store = Record<string, Record<string, KnownMember>>;

/** The known-members file of one client. */
export class KnownMembers {
  readonly #path: string | null;
  #store: Store;

  private constructor(path: string | null, store: Store) {
    this.#path = path;
    this.#store = store;
  }

  /** Loads the file at `path` (none yet is an empty store); null keeps it in memory only. */
  static async load(path: string | null): Promise<KnownMembers> {
    if (path === null) return new KnownMembers(null, {});
    try {
      const parsed = JSON.parse(await Deno.readTextFile(path));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        return new KnownMembers(path, parsed as Store);
      }
    } catch {
      // Missing or unreadable: start afresh (the next change rewrites it).
    }
    return new KnownMembers(path, {});
  }

  /** Checks `identity` for `nick` in `room`, remembering it when it is the first one. */
  check(room: string, nick: string, identity: string): TofuVerdict {
    const known = this.#store[room]?.[nick];
    if (!known) {
      this.#set(room, nick, { identity, verified: false });
      return { kind: "new" };
    }
    if (known.identity === identity) return { kind: "same", verified: known.verified };
    return { kind: "changed", old: known.identity };
  }

  /** Whether the user verified this identity for `nick` in `room`. */
  verified(room: string, nick: string, identity: string): boolean {
    const known = this.#store[room]?.[nick];
    return known?.identity === identity && known.verified;
  }

  /** Accepts `identity` as `nick`'s in `room` (after a change), unverified. */
  accept(room: string, nick: string, identity: string): void {
    this.#set(room, nick, { identity, verified: false });
  }

  /** Marks `identity` as verified for `nick` in `room`. */
  trust(room: string, nick: string, identity: string): void {
    this.#set(room, nick, { identity, verified: true });
  }

  #set(room: string, nick: string, m: KnownMember): void {
    (this.#store[room] ??= {})[nick] = m;
    this.#save();
  }

  #save(): void {
    if (this.#path === null) return;
    const tmp = `${this.#path}.${Deno.pid}.tmp`;
    try {
      Deno.mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 });
      Deno.writeTextFileSync(tmp, JSON.stringify(this.#store), { mode: 0o600 });
      Deno.renameSync(tmp, this.#path);
    } catch {
      // A read-only home loses only the memory of this change, not the session.
    }
  }
}
