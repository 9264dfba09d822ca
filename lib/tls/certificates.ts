/**
 * Making certificates: a relay's own identity (a small per-relay CA and the
 * leaf certificate it signs), and the private CAs, expired and wrong-host
 * certificates the tests need. Keys are ECDSA P-256 made and used by
 * WebCrypto.
 *
 * Why `@peculiar/x509`: it is the maintained X.509 builder of the PKI.js
 * authors and does every signature and key operation through WebCrypto, the
 * project's only source of cryptography; node-forge carries its own JavaScript
 * primitives, and calling Debian's `openssl` would make a binary on the
 * relay's machine a runtime dependency. The module is loaded only when a
 * certificate is made, so a relay that already has one starts without it.
 *
 * Why a CA and a leaf rather than one self-signed certificate: rustls (which
 * the client verifies with) refuses a CA certificate used as the server's own
 * (`CaUsedAsEndEntity`), so a client pins the per-relay CA and verifies the
 * leaf against it, signatures, dates and name included.
 *
 * @module
 */

import * as x509 from "@peculiar/x509";
import { RELAY_CERT_NAME } from "./names.ts";
import { toPem } from "./pem.ts";

x509.cryptoProvider.set(crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** RFC 5280's "no well-defined expiration date": the relay's identity lasts like an SSH host key. */
const NEVER = new Date("9999-12-31T23:59:59Z");
const DAY_MS = 86_400_000;

/** A certificate authority that can sign leaf certificates. */
export interface CertificateAuthority {
  /** The CA's certificate as PEM. */
  certPem: string;
  /** Its DER bytes. */
  der: Uint8Array;
  /** Its signing key. */
  key: CryptoKey;
  /** Its subject name. */
  subject: string;
}

/** A leaf certificate with its key, ready for a TLS server. */
export interface ServerCertificate {
  /** The chain as PEM: the leaf, then its CA. */
  certPem: string;
  /** The leaf's private key as PKCS#8 PEM. */
  keyPem: string;
}

/** Validity of a certificate; defaults from a day ago to no expiry. */
export interface Validity {
  /** Not valid before. */
  notBefore?: Date;
  /** Not valid after. */
  notAfter?: Date;
}

function serial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] &= 0x7f; // a positive INTEGER
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function newKeys(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
}

/** Makes a CA named `name` that may sign leaf certificates only (path length 0). */
export async function makeCertificateAuthority(
  name: string,
  validity: Validity = {},
): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY_MS),
    notAfter: validity.notAfter ?? NEVER,
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: cert.toString("pem") + "\n",
    der: new Uint8Array(cert.rawData),
    key: keys.privateKey,
    subject: cert.subject,
  };
}

/** Makes a server certificate for `names` (host names or IP addresses) signed by `ca`. */
export async function makeServerCertificate(
  ca: CertificateAuthority,
  names: string[],
  validity: Validity = {},
): Promise<ServerCertificate> {
  const keys = await newKeys();
  const ip = (n: string) => /^[\d.]+$/.test(n) || n.includes(":");
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0]}`,
    issuer: ca.subject,
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY_MS),
    notAfter: validity.notAfter ?? NEVER,
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => ({ type: ip(n) ? "ip" as const : "dns" as const, value: n })),
      ),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { certPem: cert.toString("pem") + "\n" + ca.certPem, keyPem: toPem("PRIVATE KEY", pkcs8) };
}

/**
 * A relay's own identity: a fresh per-relay CA and a leaf for
 * {@linkcode RELAY_CERT_NAME} signed by it. The CA's key is dropped once the
 * leaf is signed, so nothing on disk can sign another certificate.
 */
export async function makeRelayIdentity(): Promise<ServerCertificate> {
  const ca = await makeCertificateAuthority("Audio Messenger relay CA");
  return await makeServerCertificate(ca, [RELAY_CERT_NAME]);
}
