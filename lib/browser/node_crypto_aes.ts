/**
 * AES for the browser's `node:crypto` (lib/browser/node_crypto.ts): AES-256-GCM with
 * truncated tags for the envelopes and unpadded AES-256-ECB for the voice tags'
 * CBC-MAC, on @noble/ciphers, with node's cipher object shapes so the end-to-end
 * modules run unchanged in the page.
 *
 * @module
 */

import { ctr, ecb, gcm } from "@noble/ciphers/aes.js";
import { equalBytes } from "@noble/ciphers/utils.js";

type Bytes = Uint8Array;

function gcmIv(iv: Bytes): Bytes {
  if (iv.length !== 12) throw new RangeError("AES-GCM nonces here are 12 bytes");
  return iv;
}

/** AES-256 on whole blocks, for the voice tags' CBC-MAC (no padding, no state). */
function ecbCipher(key: Bytes) {
  return {
    setAutoPadding(on: boolean) {
      if (on) throw new Error("only unpadded AES-256-ECB is available in the browser");
    },
    // noble's cipher objects are single use.
    update: (blocks: Bytes): Bytes => ecb(key, { disablePadding: true }).encrypt(blocks),
  };
}

/** AES-256-ECB on whole blocks (`setAutoPadding(false)`). */
export function createCipheriv(
  alg: "aes-256-ecb",
  key: Bytes,
  iv: null,
): ReturnType<typeof ecbCipher>;
/**
 * AES-256-GCM with a tag of `authTagLength` bytes (GCM's truncated tag: the
 * first bytes of the full one). Whole messages only: `update` once, then `final`.
 */
export function createCipheriv(
  alg: "aes-256-gcm",
  key: Bytes,
  iv: Bytes,
  o?: { authTagLength: number },
): ReturnType<typeof gcmCipher>;
export function createCipheriv(
  alg: "aes-256-gcm" | "aes-256-ecb",
  key: Bytes,
  iv: Bytes | null,
  o: { authTagLength: number } = { authTagLength: 16 },
) {
  if (alg === "aes-256-ecb") return ecbCipher(key);
  return gcmCipher(key, iv ?? new Uint8Array(0), o);
}

function gcmCipher(key: Bytes, iv: Bytes, o: { authTagLength: number }) {
  let aad: Bytes = new Uint8Array(0);
  let tag: Bytes = new Uint8Array(0);
  return {
    setAAD(data: Bytes) {
      aad = data;
    },
    update(plain: Bytes): Bytes {
      const out = gcm(key, gcmIv(iv), aad).encrypt(plain);
      tag = out.slice(out.length - 16, out.length - 16 + o.authTagLength);
      return out.subarray(0, out.length - 16);
    },
    final: (): Bytes => new Uint8Array(0),
    getAuthTag: (): Bytes => tag,
  };
}

/**
 * Decrypts AES-256-GCM; a wrong tag throws at `final`, as in node. The body is
 * decrypted with GCM's own counter stream (CTR from the nonce's block 2) and
 * sealed again to get the full tag, whose first `authTagLength` bytes must match.
 */
export function createDecipheriv(
  _alg: "aes-256-gcm",
  key: Bytes,
  iv: Bytes,
  o: { authTagLength: number } = { authTagLength: 16 },
) {
  let aad: Bytes = new Uint8Array(0);
  let tag: Bytes = new Uint8Array(0);
  let ok = false;
  return {
    setAAD(data: Bytes) {
      aad = data;
    },
    setAuthTag(t: Bytes) {
      if (t.length !== o.authTagLength) throw new RangeError("wrong tag length");
      tag = t;
    },
    update(body: Bytes): Bytes {
      const counter = new Uint8Array(16);
      counter.set(gcmIv(iv));
      counter[15] = 2;
      const plain = ctr(key, counter).decrypt(body);
      const sealed = gcm(key, iv, aad).encrypt(plain);
      ok = equalBytes(sealed.subarray(sealed.length - 16, sealed.length - 16 + tag.length), tag);
      return plain;
    },
    final(): Bytes {
      if (!ok) throw new Error("Unsupported state or unable to authenticate data");
      return new Uint8Array(0);
    },
  };
}
