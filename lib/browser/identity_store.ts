/// <reference lib="dom" />
/**
 * What the page remembers between visits, in the browser's IndexedDB (one
 * database per origin, so per relay): its identity key, made on the first
 * visit, and the members it has seen per room (trust on first use), so a
 * reload is the same member to the others and still notices when someone
 * else's identity changes. The identity is kept as the same PKCS#8 PEM text
 * as the terminal's identity file, because the shared end-to-end code signs
 * synchronously and WebCrypto's signing is asynchronous (docs/SECURITY.md,
 * "The browser's identity key"). Nothing about the room (its passphrase,
 * its keys, its texts) is stored.
 *
 * @module
 */

import { Identity } from "../e2e/identity.ts";
import { KnownMembers, type RoomMembers } from "../e2e/known_members.ts";

const DB_NAME = "am";
const DB_VERSION = 1;
/** Object store of the page's own identity (one record, key {@linkcode SELF}). */
const IDENTITY = "identity";
/** Object store of known members: key the room, value its nicks' identities. */
const KNOWN = "known_members";
const SELF = "self";

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb(): Promise<IDBDatabase> {
  const req = indexedDB.open(DB_NAME, DB_VERSION);
  req.onupgradeneeded = () => {
    req.result.createObjectStore(IDENTITY);
    req.result.createObjectStore(KNOWN);
  };
  return done(req);
}

/** The page's identity and known members, as kept in IndexedDB. */
export interface StoredIdentity {
  /** This browser's long-term identity for this relay's page. */
  identity: Identity;
  /** Members seen before, per room; changes are written back. */
  known: KnownMembers;
  /** Why nothing will be remembered, when the browser keeps no site data; else null. */
  warning: string | null;
}

/**
 * Loads the page's identity (making and storing one on the first visit) and
 * its known members. Two tabs opening at once agree on one identity: the read
 * and the write happen in one read-write transaction. Never fails: without
 * IndexedDB the identity lives for this visit only, and `warning` says so.
 */
export async function loadStoredIdentity(): Promise<StoredIdentity> {
  let db: IDBDatabase;
  try {
    db = await openDb();
  } catch {
    // IndexedDB off or refused (some private modes): this visit still works, unremembered.
    return {
      identity: Identity.generate(),
      known: KnownMembers.inMemory({}, () => {}),
      warning: "this browser keeps no site data for this page, so it has a new identity " +
        "each visit and others are warned that it changed; allow site data to keep one",
    };
  }
  const tx = db.transaction([IDENTITY, KNOWN], "readwrite");
  const ids = tx.objectStore(IDENTITY);
  const known = tx.objectStore(KNOWN);
  const [pem, rooms, roomMembers] = await Promise.all([
    done(ids.get(SELF)) as Promise<string | undefined>,
    done(known.getAllKeys()),
    done(known.getAll()) as Promise<RoomMembers[]>,
  ]);
  let identity: Identity;
  try {
    if (typeof pem !== "string") throw new Error("no identity yet");
    identity = Identity.fromPem(pem);
  } catch {
    // None yet (or unreadable): make one, in the same transaction.
    identity = Identity.generate();
    await done(ids.put(identity.toPem(), SELF));
  }
  const byRoom: Record<string, RoomMembers> = {};
  rooms.forEach((room, i) => byRoom[String(room)] = roomMembers[i]);
  const members = KnownMembers.inMemory(byRoom, (room, entry) => {
    // Written behind: a failed write loses only the memory of this change, as on disk.
    try {
      db.transaction(KNOWN, "readwrite").objectStore(KNOWN).put(entry, room);
    } catch {
      // The database was closed or the quota is gone.
    }
  });
  return { identity, known: members, warning: null };
}
