/**
 * The part of `node:crypto` the end-to-end modules (lib/cipher.ts, lib/e2e/)
 * use, for the browser bundle: the bundler maps `node:crypto` here
 * (lib/browser/import_map.json), so the page runs the very same key schedule,
 * ratchets, envelopes and signatures as the terminal client instead of a
 * second implementation. Those modules are synchronous and WebCrypto is not,
 * so the primitives come from the audited, maintained noble libraries
 * (@noble/hashes, @noble/curves, @noble/ciphers), and randomness from
 * WebCrypto's `getRandomValues`. Keys and signatures (node_crypto_keys.ts) and AES
 * (node_crypto_aes.ts) have modules of their own, re-exported here. The tests in
 * tests/browser/node_crypto*_test.ts check every function against the real
 * `node:crypto`.
 *
 * @module
 */

import { scryptAsync } from "@noble/hashes/scrypt.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { KeyObject } from "./node_crypto_keys.ts";

export * from "./node_crypto_keys.ts";
export * from "./node_crypto_aes.ts";

type Bytes = Uint8Array;
const encoder = new TextEncoder();

function bytes(data: string | Bytes): Bytes {
  return typeof data === "string" ? encoder.encode(data) : data;
}

function hashOf(name: string) {
  if (name === "sha256") return sha256;
  if (name === "sha512") return sha512;
  throw new Error(`hash ${name} is not available in the browser`);
}

/** Random bytes from WebCrypto. */
export function randomBytes(n: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** HKDF (RFC 5869) as `node:crypto.hkdfSync`. */
export function hkdfSync(
  digest: string,
  ikm: Bytes,
  salt: Bytes,
  info: string | Bytes,
  length: number,
): ArrayBuffer {
  const out = hkdf(hashOf(digest), ikm, salt, bytes(info), length);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.length) as ArrayBuffer;
}

/** scrypt with a callback, as `node:crypto.scrypt` (`maxmem` is not needed here). */
export function scrypt(
  password: string,
  salt: string,
  keylen: number,
  o: { N: number; r: number; p: number },
  done: (err: Error | null, key: Bytes) => void,
): void {
  scryptAsync(bytes(password), bytes(salt), { N: o.N, r: o.r, p: o.p, dkLen: keylen })
    .then((key) => done(null, key), (err) => done(err, new Uint8Array(0)));
}

/** node's incremental hash shape over one of noble's hashes or HMACs. */
function incremental(h: { update(data: Bytes): unknown; digest(): Bytes }) {
  const api = {
    update(data: string | Bytes) {
      h.update(bytes(data));
      return api;
    },
    digest: (): Bytes => h.digest(),
  };
  return api;
}

/** An incremental hash. */
export function createHash(name: string) {
  return incremental(hashOf(name).create());
}

/** An incremental HMAC. */
export function createHmac(name: string, key: Bytes | KeyObject) {
  return incremental(hmac.create(hashOf(name), key instanceof KeyObject ? key.raw : key));
}
