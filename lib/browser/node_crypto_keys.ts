/**
 * The keys of the browser's `node:crypto` (lib/browser/node_crypto.ts): key objects
 * for HMAC secrets and Ed25519 and X25519 pairs, their JWK and PKCS#8 PEM forms,
 * Ed25519 signatures and the X25519 agreement, on @noble/curves, with node's
 * function shapes so the end-to-end modules run unchanged in the page.
 *
 * @module
 */

import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { equalBytes } from "@noble/ciphers/utils.js";

type Bytes = Uint8Array;

function b64url(b: Bytes): string {
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromB64url(s: string): Bytes {
  return Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
}

/** A key: a secret (HMAC) or one half of an Ed25519 or X25519 pair. */
export class KeyObject {
  /** "secret", "private" or "public". */
  readonly type: "secret" | "private" | "public";
  /** "ed25519" or "x25519" for a pair's key. */
  readonly asymmetricKeyType?: "ed25519" | "x25519";
  /** The raw key bytes. */
  readonly raw: Bytes;

  /** A key of `type` from its raw bytes (kept, not copied). */
  constructor(type: KeyObject["type"], raw: Bytes, asymmetricKeyType?: "ed25519" | "x25519") {
    this.type = type;
    this.raw = raw;
    this.asymmetricKeyType = asymmetricKeyType;
  }

  /** The JWK form (`x` is the public key), or an Ed25519 private key's PKCS#8 PEM form. */
  export(o: { format: "jwk" }): { kty: string; crv: string; x: string };
  /** The PKCS#8 PEM form of an Ed25519 private key. */
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
