/**
 * Per-listener voice tags: the short MAC that proves a voice frame came from
 * its talker and not from another member who also holds the talker's sender
 * key (as SRTP's 32-bit tags do for voice). A talker tags every frame once for
 * each listener, so this is the part of sealing that grows with the room.
 *
 * The tag is AES-256-CBC-MAC, under the pair's tag key, of the frame's SHA-256
 * digest, truncated to 4 bytes. The digest is computed once per frame for every
 * listener; CBC-MAC of a fixed-length (32-byte) input is a PRF (Bellare, Kilian
 * and Rogaway), and a PRF applied to a collision-resistant hash is a MAC, so a
 * forger's best chance per frame stays 2^-32 as with truncated HMAC-SHA256.
 * Each pair keeps one AES key schedule, so a listener costs two block
 * encryptions instead of an HMAC's key setup and four hash compressions.
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

  /** `key`: 32 bytes from the pair's key derivation. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("a voice tag key is 32 bytes");
    // ECB on single blocks is the raw block cipher: CBC's chaining is done below,
    // so no state carries from one frame to the next.
    this.#aes = createCipheriv("aes-256-ecb", key, null);
    this.#aes.setAutoPadding(false);
  }

  /** The tag of a frame, given its `voiceDigest`. */
  tag(digest: Uint8Array): Uint8Array {
    const x = new Uint8Array(this.#aes.update(digest.subarray(0, 16)));
    for (let i = 0; i < 16; i++) x[i] ^= digest[16 + i];
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
