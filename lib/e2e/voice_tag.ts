/**
 * Per-listener voice tags: the short MAC that proves a voice frame came from
 * its talker and not from another member who also holds the talker's sender
 * key (as SRTP's 32-bit tags do for voice). A talker tags every frame once for
 * each listener, so this is the part of sealing that grows with the room.
 *
 * The tag is AES-256-CMAC (NIST SP 800-38B, RFC 4493), under the pair's tag key,
 * of the first 16 bytes of the frame's SHA-256 digest, truncated to 4 bytes. The
 * digest is computed once per frame for every listener; CMAC of one full block is
 * one AES call on the block XORed with the key's subkey K1, a PRF, and a PRF on a
 * second-preimage-resistant hash of what the talker sent is a MAC (the talker's
 * frames are its own, so a forger cannot pick frames to collide with). A forger's
 * best chance per frame stays 2^-32, as with truncated HMAC-SHA256. Each pair keeps
 * its AES key schedule and K1, so a listener costs one block encryption: in Deno
 * the fixed cost of each node:crypto call, not the bytes, is what grows with the room.
 *
 * @module
 */

import { type Cipheriv, createCipheriv, createHash } from "node:crypto";
import { VOICE_PAIR_TAG_BYTES } from "../protocol.ts";

/** The digest every listener's tag of a sealed voice frame is computed from. */
export function voiceDigest(sealed: Uint8Array): Uint8Array {
  return createHash("sha256").update(sealed).digest();
}

/** One direction's voice tag key of a pair, with its AES key schedule kept. */
export class VoiceTagKey {
  #aes: Cipheriv;
  #k1: Uint8Array;
  #block = new Uint8Array(16);

  /** `key`: 32 bytes from the pair's key derivation. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("a voice tag key is 32 bytes");
    // ECB on single blocks is the raw block cipher: no state carries from one frame
    // to the next.
    this.#aes = createCipheriv("aes-256-ecb", key, null);
    this.#aes.setAutoPadding(false);
    this.#k1 = cmacSubkey(new Uint8Array(this.#aes.update(new Uint8Array(16))));
  }

  /** The tag of a frame, given its `voiceDigest`. */
  tag(digest: Uint8Array): Uint8Array {
    const x = this.#block;
    for (let i = 0; i < 16; i++) x[i] = digest[i] ^ this.#k1[i];
    return new Uint8Array(this.#aes.update(x).subarray(0, VOICE_PAIR_TAG_BYTES));
  }

  /** Whether `tag` is this key's tag of the frame (compared in constant time). */
  valid(digest: Uint8Array, tag: Uint8Array): boolean {
    const want = this.tag(digest);
    if (tag.length !== want.length) return false;
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff |= want[i] ^ tag[i];
    return diff === 0;
  }
}

/** CMAC's first subkey: L = AES_k(0^128) doubled in GF(2^128) (RFC 4493, 2.3). */
function cmacSubkey(l: Uint8Array): Uint8Array {
  const k1 = new Uint8Array(16);
  for (let i = 0; i < 16; i++) k1[i] = ((l[i] << 1) | (i < 15 ? l[i + 1] >> 7 : 0)) & 0xff;
  if (l[0] & 0x80) k1[15] ^= 0x87;
  return k1;
}
