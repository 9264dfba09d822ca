/**
 * Long-term member identities: an Ed25519 key pair per client, its public key
 * as 32 raw bytes, signatures, and the safety numbers people compare to verify
 * each other. Safety numbers follow Signal's numeric fingerprints: each
 * identity key is hashed 5200 times with SHA-512 into 30 digits, and the
 * number for a pair is the two halves in sorted order, so both members see the
 * same 60 digits whoever asks.
 *
 * @module
 */

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";

/** Bytes of a raw Ed25519 public key. */
export const IDENTITY_BYTES = 32;
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/** Raised when an identity file or key cannot be used. */
export class IdentityError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IdentityError";
  }
}

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A client's own identity key pair. */
export class Identity {
  readonly #private: KeyObject;
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;

  private constructor(privateKey: KeyObject) {
    this.#private = privateKey;
    const jwk = createPublicKey(privateKey).export({ format: "jwk" });
    this.publicKey = fromB64url(String(jwk.x));
  }

  /** A fresh random identity. */
  static generate(): Identity {
    return new Identity(generateKeyPairSync("ed25519").privateKey);
  }

  /** An identity from its PKCS#8 PEM form (as kept in the identity file). */
  static fromPem(pem: string): Identity {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (cause) {
      throw new IdentityError("the identity file does not hold a private key", { cause });
    }
    if (key.asymmetricKeyType !== "ed25519") {
      throw new IdentityError("the identity file holds a key that is not Ed25519");
    }
    return new Identity(key);
  }

  /** The PKCS#8 PEM form of the private key. */
  toPem(): string {
    return String(this.#private.export({ format: "pem", type: "pkcs8" }));
  }

  /** Signs `data` (Ed25519, 64 bytes). */
  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.#private));
  }
}

const publicKeys = new Map<string, KeyObject>();

/** Whether `sig` is `publicKey`'s Ed25519 signature of `data`; false for any malformed input. */
export function verifySignature(
  publicKey: Uint8Array,
  data: Uint8Array,
  sig: Uint8Array,
): boolean {
  if (publicKey.length !== IDENTITY_BYTES || sig.length !== SIGNATURE_BYTES) return false;
  const id = b64url(publicKey);
  let key = publicKeys.get(id);
  try {
    if (!key) {
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: id }, format: "jwk" });
      if (publicKeys.size > 4096) publicKeys.clear();
      publicKeys.set(id, key);
    }
    return verify(null, data, key, sig);
  } catch {
    return false;
  }
}

const FINGERPRINT_ITERATIONS = 5200;
const fingerprints = new Map<string, string>();

/** The 30-digit fingerprint of one identity, in six groups of five. */
export function fingerprint(publicKey: Uint8Array): string {
  const id = b64url(publicKey);
  const cached = fingerprints.get(id);
  if (cached) return cached;
  // Signal's numeric fingerprint: version, key, (no stable id), then key again each round.
  let hash = new Uint8Array(
    createHash("sha512").update(new Uint8Array([0, 0])).update(publicKey)
      .digest(),
  );
  for (let i = 0; i < FINGERPRINT_ITERATIONS; i++) {
    hash = new Uint8Array(createHash("sha512").update(hash).update(publicKey).digest());
  }
  const groups: string[] = [];
  for (let g = 0; g < 6; g++) {
    let n = 0;
    for (let b = 0; b < 5; b++) n = n * 256 + hash[g * 5 + b];
    groups.push(String(n % 100000).padStart(5, "0"));
  }
  const out = groups.join(" ");
  if (fingerprints.size > 4096) fingerprints.clear();
  fingerprints.set(id, out);
  return out;
}

/** The 60-digit safety number of two identities: the same whichever of them asks. */
export function safetyNumber(a: Uint8Array, b: Uint8Array): string {
  return [fingerprint(a), fingerprint(b)].sort().join(" ");
}
