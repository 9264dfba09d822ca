/**
 * The part of `node:crypto` the end-to-end modules (lib/cipher.ts, lib/e2e/)
 * use, for the browser bundle: the bundler maps `node:crypto` here
 * (lib/browser/import_map.json), so the page runs the very same key schedule,
 * ratchets, envelopes and signatures as the terminal client instead of a
 * second implementation. Those modules are synchronous and WebCrypto is not,
 * so the primitives come from the audited, maintained noble libraries
 * (@noble/hashes, @noble/curves, @noble/ciphers), and randomness from
 * WebCrypto's `getRandomValues`. tests/browser/node_crypto_test.ts checks
 * every function against the real `node:crypto`.
 *
 * @module
 */

import { scryptAsync } from "@noble/hashes/scrypt.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { ctr, ecb, gcm } from "@noble/ciphers/aes.js";
import { equalBytes } from "@noble/ciphers/utils.js";

type Bytes = Uint8Array;
const encoder = new TextEncoder();

function bytes(data: string | Bytes): Bytes {
  return typeof data === "string" ? encoder.encode(data) : data;
}

function b64url(b: Bytes): string {
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromB64url(s: string): Bytes {
  return Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
}

function hashOf(name: string) {
  if (name === "sha256") return sha256;
  if (name === "sha512") return sha512;
  throw new Error(`hash ${name} is not available in the browser`);
}

/** A key: a secret (HMAC) or one half of an Ed25519 or X25519 pair. */
export class KeyObject {
  /** "secret", "private" or "public". */
  readonly type: "secret" | "private" | "public";
  /** "ed25519" or "x25519" for a pair's key. */
  readonly asymmetricKeyType?: "ed25519" | "x25519";
  /** The raw key bytes. */
  readonly raw: Bytes;

  constructor(type: KeyObject["type"], raw: Bytes, asymmetricKeyType?: "ed25519" | "x25519") {
    this.type = type;
    this.raw = raw;
    this.asymmetricKeyType = asymmetricKeyType;
  }

  /** The JWK form (`x` is the public key), or an Ed25519 private key's PKCS#8 PEM form. */
  export(o: { format: "jwk" }): { kty: string; crv: string; x: string };
  export(o: { format: "pem"; type: "pkcs8" }): string;
  export(
    o: { format: "jwk" } | { format: "pem"; type: "pkcs8" },
  ): { kty: string; crv: string; x: string } | string {
    if (!this.asymmetricKeyType) throw new Error("a secret key has no JWK form here");
    if (o.format === "pem") {
      if (this.type !== "private" || this.asymmetricKeyType !== "ed25519") {
        throw new Error("only Ed25519 private keys have a PEM form here");
      }
      return ed25519Pem(this.raw);
    }
    const pub = this.type === "public"
      ? this.raw
      : this.asymmetricKeyType === "ed25519"
      ? ed25519.getPublicKey(this.raw)
      : x25519.getPublicKey(this.raw);
    return {
      kty: "OKP",
      crv: this.asymmetricKeyType === "ed25519" ? "Ed25519" : "X25519",
      x: b64url(pub),
    };
  }
}

/** Random bytes from WebCrypto. */
export function randomBytes(n: number): Bytes {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** A secret key object for HMAC. */
export function createSecretKey(key: Bytes): KeyObject {
  return new KeyObject("secret", key.slice());
}

/** A fresh Ed25519 or X25519 key pair. */
export function generateKeyPairSync(type: "ed25519" | "x25519") {
  const curve = type === "ed25519" ? ed25519 : x25519;
  const secret = curve.utils.randomSecretKey();
  return {
    privateKey: new KeyObject("private", secret, type),
    publicKey: new KeyObject("public", curve.getPublicKey(secret), type),
  };
}

/** The public half of a private key, or a public key from its JWK. */
export function createPublicKey(
  key: KeyObject | { key: { kty: string; crv: string; x: string }; format: "jwk" },
): KeyObject {
  if (key instanceof KeyObject) {
    const jwk = key.export({ format: "jwk" });
    return new KeyObject("public", fromB64url(jwk.x), key.asymmetricKeyType);
  }
  const crv = key.key.crv === "Ed25519" ? "ed25519" : key.key.crv === "X25519" ? "x25519" : null;
  const raw = fromB64url(key.key.x);
  if (key.key.kty !== "OKP" || !crv || raw.length !== 32) throw new TypeError("invalid key");
  return new KeyObject("public", raw, crv);
}

// PKCS#8 (RFC 8410) of an Ed25519 key: this fixed DER header, then the 32-byte seed.
const ED25519_PKCS8 = Uint8Array.from([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

function ed25519Pem(seed: Bytes): string {
  const der = new Uint8Array(ED25519_PKCS8.length + seed.length);
  der.set(ED25519_PKCS8);
  der.set(seed, ED25519_PKCS8.length);
  const b64 = btoa(String.fromCharCode(...der));
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

/** An Ed25519 private key from its PKCS#8 PEM form (the identity the page keeps). */
export function createPrivateKey(pem: string): KeyObject {
  const m = /^-----BEGIN PRIVATE KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PRIVATE KEY-----\s*$/
    .exec(pem);
  let der: Bytes;
  try {
    der = Uint8Array.from(atob((m?.[1] ?? "").replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    throw new TypeError("invalid PEM");
  }
  const head = der.subarray(0, ED25519_PKCS8.length);
  if (!m || der.length !== ED25519_PKCS8.length + 32 || !equalBytes(head, ED25519_PKCS8)) {
    throw new TypeError("not an Ed25519 PKCS#8 private key");
  }
  return new KeyObject("private", der.slice(ED25519_PKCS8.length), "ed25519");
}

/** Ed25519 signature of `data`. */
export function sign(_alg: null, data: Bytes, key: KeyObject): Bytes {
  return ed25519.sign(data, key.raw);
}

/** Whether `sig` is a valid Ed25519 signature of `data` by `key`. */
export function verify(_alg: null, data: Bytes, key: KeyObject, sig: Bytes): boolean {
  try {
    return ed25519.verify(sig, data, key.raw);
  } catch {
    return false;
  }
}

/** The X25519 shared secret; throws for a low-order peer key, as OpenSSL does. */
export function diffieHellman(o: { privateKey: KeyObject; publicKey: KeyObject }): Bytes {
  return x25519.getSharedSecret(o.privateKey.raw, o.publicKey.raw);
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

/** An incremental hash. */
export function createHash(name: string) {
  const h = hashOf(name).create();
  const api = {
    update(data: string | Bytes) {
      h.update(bytes(data));
      return api;
    },
    digest: (): Bytes => h.digest(),
  };
  return api;
}

/** An incremental HMAC. */
export function createHmac(name: string, key: Bytes | KeyObject) {
  const h = hmac.create(hashOf(name), key instanceof KeyObject ? key.raw : key);
  const api = {
    update(data: string | Bytes) {
      h.update(bytes(data));
      return api;
    },
    digest: (): Bytes => h.digest(),
  };
  return api;
}

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
