/**
 * The keys a client starts with: its member identity and the members it has seen
 * before (given in memory by the browser, else loaded from files under the config
 * directory, the identity made on first run), and the room key derived from the
 * passphrase, all at once since scrypt takes 100–200 ms.
 *
 * @module
 */

import { join } from "node:path";
import { deriveRoomKey, type RoomKey } from "../cipher.ts";
import type { Identity } from "../e2e/identity.ts";
import { configDir, loadOrCreateIdentity } from "../e2e/identity_file.ts";
import { KnownMembers } from "../e2e/known_members.ts";
import type { ChatClientOptions } from "./client_options.ts";

/** A client's identity, known members and room key. */
export interface ClientKeys {
  /** The member identity. */
  identity: Identity;
  /** The members seen before. */
  known: KnownMembers;
  /** The room key. */
  key: RoomKey;
}

/** Loads (or makes) the identity and known members, and derives the room key. */
export async function loadClientKeys(o: ChatClientOptions): Promise<ClientKeys> {
  if (o.identity) {
    const [known, key] = await Promise.all([
      o.knownMembers ?? KnownMembers.load(null),
      deriveRoomKey(o.passphrase, o.room),
    ]);
    return { identity: o.identity, known, key };
  }
  const dir = o.identityPath ? null : configDir();
  const [identity, known, key] = await Promise.all([
    loadOrCreateIdentity(o.identityPath ?? join(dir!, "identity")),
    KnownMembers.load(join(dir ?? configDir(), "known_members")),
    deriveRoomKey(o.passphrase, o.room),
  ]);
  return { identity, known, key };
}
