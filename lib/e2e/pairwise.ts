/**
 * Pairwise channels between two members, used to hand each other sender keys
 * and to authenticate voice frames to one listener. Each client makes an
 * X25519 key pair per run, kept only in memory, and signs its public half with
 * its identity key (the signed member entry). Two members' keys give a shared
 * secret; HKDF-SHA256, salted with the scrypt room key and bound to the whole
 * transcript (room, both sessions, identities and ephemeral keys), turns it
 * into one key per direction for key shares and one per direction for voice
 * tags. Only a holder of the passphrase derives the same keys, so a key share
 * that opens is the proof of the passphrase; and since the ephemeral secrets
 * never touch the disk, a recording cannot be opened later with the
 * passphrase and every identity file.
 *
 * @module
 */

import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from "node:crypto";
import { concatBytes } from "../framing.ts";
import { VoiceTagKey } from "./voice_tag.ts";

/** Bytes of a raw X25519 public key. */
export const EPHEMERAL_BYTES = 32;

const encoder = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** This run's X25519 key pair. */
export class Ephemeral {
  readonly #private: KeyObject;
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;

  constructor() {
    const pair = generateKeyPairSync("x25519");
    this.#private = pair.privateKey;
    const x = String(pair.publicKey.export({ format: "jwk" }).x);
    this.publicKey = Uint8Array.from(
      atob(x.replaceAll("-", "+").replaceAll("_", "/")),
      (c) => c.charCodeAt(0),
    );
  }

  /** The X25519 shared secret with `peer`'s raw public key; throws for an invalid key. */
  agree(peer: Uint8Array): Uint8Array {
    if (peer.length !== EPHEMERAL_BYTES) throw new RangeError("ephemeral key is not 32 bytes");
    const publicKey = createPublicKey({
      key: { kty: "OKP", crv: "X25519", x: b64url(peer) },
      format: "jwk",
    });
    return new Uint8Array(diffieHellman({ privateKey: this.#private, publicKey }));
  }
}

/** One side of a pair as it enters the key schedule. */
export interface PairParty {
  /** Sender session id. */
  session: Uint8Array;
  /** Identity public key. */
  identity: Uint8Array;
  /** Ephemeral public key. */
  ephemeral: Uint8Array;
}

/** The keys of one pairwise channel, from this member's side. */
export interface PairKeys {
  /** Seals key shares to the peer. */
  shareOut: Uint8Array;
  /** Opens key shares from the peer. */
  shareIn: Uint8Array;
  /** Tags voice frames for the peer. */
  tagOut: VoiceTagKey;
  /** Checks the peer's voice tags. */
  tagIn: VoiceTagKey;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The bytes a member entry's signature covers. */
export function memberEntryBytes(
  room: string,
  nick: string,
  self: PairParty,
  keyId: Uint8Array,
): Uint8Array {
  const r = encoder.encode(room);
  const n = encoder.encode(nick);
  return concatBytes([
    encoder.encode("audio-messenger/v2/member"),
    new Uint8Array([r.length]),
    r,
    new Uint8Array([n.length]),
    n,
    self.session,
    self.identity,
    self.ephemeral,
    keyId,
  ]);
}

/**
 * Derives the pair's keys. `shared` is the X25519 secret, `roomSecret` the
 * scrypt room key (so a member with another passphrase derives other keys).
 */
export function derivePairKeys(
  shared: Uint8Array,
  roomSecret: Uint8Array,
  room: string,
  me: PairParty,
  peer: PairParty,
): PairKeys {
  const meFirst = compare(me.session, peer.session) < 0;
  const [lo, hi] = meFirst ? [me, peer] : [peer, me];
  const r = encoder.encode(room);
  const info = concatBytes([
    encoder.encode("audio-messenger/v2/pair"),
    new Uint8Array([r.length]),
    r,
    lo.session,
    lo.identity,
    lo.ephemeral,
    hi.session,
    hi.identity,
    hi.ephemeral,
  ]);
  const okm = new Uint8Array(hkdfSync("sha256", shared, roomSecret, info, 128));
  const [shareLo, shareHi, tagLo, tagHi] = [0, 1, 2, 3].map((i) => okm.slice(32 * i, 32 * i + 32));
  // "lo" keys protect what the lower session sends.
  return meFirst
    ? {
      shareOut: shareLo,
      shareIn: shareHi,
      tagOut: new VoiceTagKey(tagLo),
      tagIn: new VoiceTagKey(tagHi),
    }
    : {
      shareOut: shareHi,
      shareIn: shareLo,
      tagOut: new VoiceTagKey(tagHi),
      tagIn: new VoiceTagKey(tagLo),
    };
}
