/**
 * The room key shared by clients; the relay never imports it. A room key comes
 * from scrypt over the passphrase and the room name. From it, HKDF derives a
 * public key id (sent in clear, so a receiver can say "this member uses a
 * different passphrase" instead of showing garbage); the secret salts every
 * pairwise key (lib/e2e/pairwise.ts), so only members who know the passphrase
 * get traffic keys. Traffic itself is sealed under random sender chains
 * (lib/e2e/), never under keys derived from the passphrase.
 *
 * @module
 */

import { hkdfSync, randomBytes, scrypt } from "node:crypto";

/** Bytes in a key id. */
export const KEY_ID_BYTES = 8;
/** Bytes in a sender session id. */
export const SESSION_BYTES = 16;
/** scrypt cost parameters: about 100–200 ms on a laptop core (a guess costs an attacker that much). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const ROOM_SALT_PREFIX = "audio-messenger/v1/room/";

/** A room key with its public key id. */
export interface RoomKey {
  /** The room the key belongs to. */
  readonly room: string;
  /** HKDF-derived public identifier of the key. */
  readonly keyId: Uint8Array;
  /** The 32-byte secret. */
  readonly secret: Uint8Array;
}

/** Why a sealed payload was refused. */
export type CipherErrorCode = "bad-passphrase" | "tampered" | "replayed" | "forged";

/** Raised when a sealed payload cannot be opened. */
export class CipherError extends Error {
  /** What went wrong. */
  readonly code: CipherErrorCode;
  constructor(code: CipherErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CipherError";
    this.code = code;
  }
}

/** Derives the room key from a passphrase (NFKC-normalised) and a room name. */
export function deriveRoomKey(passphrase: string, room: string): Promise<RoomKey> {
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize("NFKC"),
      ROOM_SALT_PREFIX + room,
      32,
      SCRYPT,
      (err, key) => {
        if (err) return reject(err);
        const secret = new Uint8Array(key);
        resolve({ room, secret, keyId: hkdf(secret, "key-id", KEY_ID_BYTES) });
      },
    );
  });
}

/** A fresh random sender session id. */
export function newSessionId(): Uint8Array {
  return new Uint8Array(randomBytes(SESSION_BYTES));
}

/** Hex form of bytes, as carried in hello and member entries. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes from their hex form. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** HKDF-SHA256 with an empty salt: `length` bytes of `info` under `secret`. */
export function hkdf(secret: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", secret, new Uint8Array(0), info, length));
}
