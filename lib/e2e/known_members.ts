/**
 * Trust on first use, per room: the first identity seen for a nick in a room
 * is remembered; a later, different one is reported until the user accepts
 * it. Also remembers which identities the user verified. The terminal's store
 * is one JSON file, rewritten whole (atomically, owner-only) on each change;
 * the browser keeps each room's entry in IndexedDB through
 * {@linkcode KnownMembers.inMemory}'s change callback.
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

/** The members known in one room, by nick. */
export type RoomMembers = Record<string, KnownMember>;

type Store = Record<string, RoomMembers>;

/** The known members of one client. */
export class KnownMembers {
  readonly #save: (store: Store, room: string) => void;
  #store: Store;

  private constructor(store: Store, save: (store: Store, room: string) => void) {
    this.#store = store;
    this.#save = save;
  }

  /** Loads the file at `path` (none yet is an empty store); null keeps it in memory only. */
  static async load(path: string | null): Promise<KnownMembers> {
    if (path === null) return new KnownMembers({}, () => {});
    const save = (store: Store) => saveFile(path, store);
    try {
      const parsed = JSON.parse(await Deno.readTextFile(path));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        return new KnownMembers(parsed as Store, save);
      }
    } catch {
      // Missing or unreadable: start afresh (the next change rewrites it).
    }
    return new KnownMembers({}, save);
  }

  /**
   * A store that starts with `rooms` and reports each change as the room's
   * whole new entry, for a caller that keeps it elsewhere (the page's IndexedDB).
   */
  static inMemory(
    rooms: Record<string, RoomMembers>,
    onChange: (room: string, members: RoomMembers) => void,
  ): KnownMembers {
    return new KnownMembers({ ...rooms }, (store, room) => onChange(room, { ...store[room] }));
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
    this.#save(this.#store, room);
  }
}

function saveFile(path: string, store: Store): void {
  const tmp = `${path}.${Deno.pid}.tmp`;
  try {
    Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    Deno.writeTextFileSync(tmp, JSON.stringify(store), { mode: 0o600 });
    Deno.renameSync(tmp, path);
  } catch {
    // A read-only home loses only the memory of this change, not the session.
  }
}
