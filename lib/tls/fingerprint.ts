/**
 * Certificate fingerprints as people compare them: `SHA256:` and the unpadded
 * base64 of the SHA-256 of the certificate's DER bytes, the form SSH prints for
 * host keys. The relay's fingerprint is that of its anchor, the last
 * certificate of the chain it serves (for a relay that made its own, its
 * per-relay CA): the certificate a client pins.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { base64ToBytes, bytesToBase64, pemBlocks } from "./pem.ts";

/** The fingerprint of one certificate's DER bytes. */
export function fingerprintOf(der: Uint8Array): string {
  const digest = createHash("sha256").update(der).digest();
  return `SHA256:${bytesToBase64(new Uint8Array(digest)).replace(/=+$/, "")}`;
}

/**
 * A fingerprint as a user may write it: `SHA256:base64` (with or without the
 * prefix and padding), or 64 hex digits with or without colons (as OpenSSL and
 * browsers show it). Returns the canonical form, or null when it is neither.
 */
export function parseFingerprint(text: string): string | null {
  const s = text.trim().replace(/^sha-?256:/i, "");
  const hex = s.replace(/:/g, "");
  if (/^[0-9a-f]{64}$/i.test(hex)) {
    const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
    return `SHA256:${bytesToBase64(bytes).replace(/=+$/, "")}`;
  }
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(s)) return null;
  try {
    if (base64ToBytes(s.replace(/=?$/, "=")).length !== 32) return null;
  } catch {
    return null;
  }
  return `SHA256:${s.replace(/=$/, "")}`;
}

/** DER bytes of every certificate in a PEM chain, leaf first as served. */
export function chainCertificates(pem: string): Uint8Array[] {
  return pemBlocks(pem).filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
}

/** The fingerprint of a served chain: that of its last certificate; null without one. */
export function chainFingerprint(pem: string): string | null {
  const certs = chainCertificates(pem);
  return certs.length ? fingerprintOf(certs[certs.length - 1]) : null;
}
