/**
 * How a client reaches a relay it can trust: TLS by default, verified against
 * the system's CAs for the host name, a private CA (`--ca`), a fingerprint
 * given up front (`--pin`), or the certificate pinned on first use in
 * known_relays. Nothing is ever sent over a connection that has not been
 * verified: a first use or a `--pin` reads the relay's certificate on a
 * separate probe connection that only completes a handshake, and the real
 * connection then verifies against that certificate (signatures, dates and
 * name, by rustls). A changed certificate stops the client with
 * `relay-key-changed`, naming both fingerprints and the line to remove.
 *
 * @module
 */

import tls from "node:tls";
import { formatAddress, type RelayAddress } from "./address.ts";
import { ClientFatalError } from "./errors.ts";
import {
  appendKnownRelay,
  findKnownRelay,
  formatKnownRelay,
  type KnownRelay,
  readKnownRelays,
} from "./known_relays.ts";
import { fingerprintOf, pemBlocks, RELAY_CERT_NAME, toPem } from "../tls/mod.ts";

/** Opens a connection to one relay; `notice` tells the user something once. */
export type RelayConnector = (
  addr: RelayAddress,
  notice: (message: string) => void,
) => Promise<Deno.Conn>;

/** How the client decides whom to trust. */
export interface TrustOptions {
  /** False for a relay that serves plain TCP (`--no-tls`). */
  tls: boolean;
  /** A private CA's certificate (PEM) to verify against, from `--ca`. */
  caPem?: string;
  /** The name of the `--ca` file, for messages. */
  caFile?: string;
  /** A fingerprint every relay must present (`--pin`), canonical form. */
  pin?: string;
  /** The known_relays file; null keeps first-use pins in memory only. */
  knownRelaysPath: string | null;
}

const PROBE_TIMEOUT_MS = 10_000;
const PROBE_CLOSE_WAIT_MS = 2_000;

/** Plain TCP with TCP_NODELAY (a small frame must not wait for an ACK). */
async function tcp(addr: RelayAddress): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: addr.hostname, port: addr.port, transport: "tcp" });
  conn.setNoDelay(true);
  return conn;
}

/** A TLS connection whose handshake (and so its verification) has completed. */
async function verified(
  addr: RelayAddress,
  name: string,
  caCerts: string[] | undefined,
): Promise<Deno.TlsConn> {
  const conn = await Deno.startTls(await tcp(addr), { hostname: name, caCerts });
  try {
    await conn.handshake();
    return conn;
  } catch (err) {
    conn.close();
    throw err;
  }
}

/** Whether `err` is a failed TLS handshake rather than an unreachable relay. */
function isTlsFailure(err: unknown): boolean {
  return err instanceof Deno.errors.InvalidData || err instanceof Deno.errors.UnexpectedEof;
}

/** Whether a failed handshake got as far as a certificate this side did not accept. */
function isCertificateRefusal(err: unknown): boolean {
  return err instanceof Deno.errors.InvalidData && /certificate/i.test(err.message);
}

/** The certificates a relay serves, leaf first, read without trusting them (no data is sent). */
export async function probeCertificates(addr: RelayAddress): Promise<Uint8Array[]> {
  const isIp = /^[\d.]+$/.test(addr.hostname) || addr.hostname.includes(":");
  const socket = tls.connect({
    host: addr.hostname,
    port: addr.port,
    servername: isIp ? undefined : addr.hostname,
    rejectUnauthorized: false,
    minVersion: "TLSv1.3",
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.setTimeout(PROBE_TIMEOUT_MS, () => reject(new Error("TLS handshake timed out")));
      socket.once("secureConnect", resolve);
      socket.once("error", reject);
    });
    const chain: Uint8Array[] = [];
    const seen = new Set<string>();
    let c = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
    while (c?.raw && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      chain.push(new Uint8Array(c.raw));
      c = c.issuerCertificate;
    }
    if (chain.length === 0) throw new Error("the relay sent no certificate");
    // Wait for the relay to close its side: by then it no longer counts this
    // connection, and a relay near --max-clients admits the verified one.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, PROBE_CLOSE_WAIT_MS);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
    return chain;
  } finally {
    socket.destroy();
  }
}

/** A readable reason for a failed verification, with what to do. */
export function describeTlsFailure(where: string, err: unknown, caFile?: string): string {
  const m = err instanceof Error ? err.message : String(err);
  if (/expired|not valid after|NotValidYet|not valid before/i.test(m)) {
    return `the certificate of the relay at ${where} has expired or is not valid yet ` +
      `(${m}); its operator must renew it`;
  }
  if (/NotValidForName|not valid for name/i.test(m)) {
    return `the certificate of the relay at ${where} is not made out for that name (${m}); ` +
      "connect by the name it was issued for";
  }
  if (/UnknownIssuer|unknown ?ca|BadSignature/i.test(m)) {
    return `the certificate of the relay at ${where} is not signed by ` +
      `${caFile ? `the CA in ${caFile}` : "a CA this machine trusts"} (${m})`;
  }
  if (/corrupt message|InvalidContentType|wrong version|UnexpectedEof|close_notify/i.test(m)) {
    return `the relay at ${where} does not answer with TLS (${m}); ` +
      "if it runs with --no-tls, connect with --no-tls";
  }
  return `TLS with the relay at ${where} failed: ${m}`;
}

/** Builds the connector for the client's trust settings. */
export function relayConnector(o: TrustOptions): RelayConnector {
  // Pins of this run (first use, --pin): reconnects verify against them without a probe.
  const pinned = new Map<string, string>();
  return async (addr, notice) => {
    const where = formatAddress(addr);
    if (!o.tls) return await tcp(addr);
    if (o.caPem) {
      try {
        return await verified(addr, addr.hostname, [o.caPem]);
      } catch (err) {
        if (!isTlsFailure(err)) throw err;
        throw new ClientFatalError("tls-failed", describeTlsFailure(where, err, o.caFile), {
          cause: err,
        });
      }
    }
    const known = await lookup(o.knownRelaysPath, where);
    const pin = o.pin ?? known?.fingerprint;
    const pem = pinned.get(where) ?? (known && known.fingerprint === pin ? known.certPem : null);
    if (pem) {
      try {
        return await verified(addr, RELAY_CERT_NAME, [pem]);
      } catch (err) {
        if (!isTlsFailure(err)) throw err;
        const now = await probeCertificates(addr).catch(() => null);
        const actual = now ? fingerprintOf(now[now.length - 1]) : null;
        if (actual !== fingerprintOf(pemDer(pem))) {
          throw keyChanged(where, fingerprintOf(pemDer(pem)), actual, o, known);
        }
        throw new ClientFatalError("tls-failed", describeTlsFailure(where, err), { cause: err });
      }
    }
    if (!pin) {
      // A certificate from a CA the system trusts, for this host name, needs no pin.
      try {
        return await verified(addr, addr.hostname, undefined);
      } catch (err) {
        if (!isTlsFailure(err)) throw err;
        if (!isCertificateRefusal(err)) {
          throw new ClientFatalError("tls-failed", describeTlsFailure(where, err), { cause: err });
        }
      }
    }
    const chain = await probeCertificates(addr).catch((err) => {
      throw new ClientFatalError("tls-failed", describeTlsFailure(where, err), { cause: err });
    });
    const anchor = pin ? chain.find((der) => fingerprintOf(der) === pin) : chain[chain.length - 1];
    if (!anchor) throw keyChanged(where, pin!, fingerprintOf(chain[chain.length - 1]), o, known);
    const anchorPem = toPem("CERTIFICATE", anchor);
    let conn: Deno.TlsConn;
    try {
      conn = await verified(addr, RELAY_CERT_NAME, [anchorPem]);
    } catch (err) {
      if (!isTlsFailure(err)) throw err;
      throw new ClientFatalError("tls-failed", describeTlsFailure(where, err), { cause: err });
    }
    pinned.set(where, anchorPem);
    if (!o.pin) {
      const stored = await store(o.knownRelaysPath, formatKnownRelay(where, anchor));
      notice(
        `new relay ${where}, fingerprint ${fingerprintOf(anchor)}; compare it with the one ` +
          `your relay's operator sees (am-server --fingerprint). ${stored}`,
      );
    }
    return conn;
  };
}

function pemDer(pem: string): Uint8Array {
  return pemBlocks(pem)[0].der;
}

async function lookup(path: string | null, where: string): Promise<KnownRelay | undefined> {
  if (!path) return undefined;
  try {
    return findKnownRelay(await readKnownRelays(path), where);
  } catch (cause) {
    throw new ClientFatalError(
      "tls-failed",
      `cannot read ${path}: ${(cause as Error).message}; fix or remove that file`,
      { cause },
    );
  }
}

async function store(path: string | null, line: string): Promise<string> {
  if (!path) return "It is kept for this run only (no home directory to store it in).";
  try {
    await appendKnownRelay(path, line);
    return `Stored in ${path}.`;
  } catch (err) {
    return `It could not be stored in ${path} (${(err as Error).message}); kept for this run only.`;
  }
}

function keyChanged(
  where: string,
  expected: string,
  actual: string | null,
  o: TrustOptions,
  known: KnownRelay | undefined,
): ClientFatalError {
  const now = actual ? `it presents ${actual}` : "its certificate could not be read";
  const confirm = "If the relay's operator confirms the new fingerprint (am-server --fingerprint)";
  const fix = o.pin
    ? `${confirm}, connect with that as --pin.`
    : known
    ? `${confirm}, remove line ${known.line} of ${o.knownRelaysPath} and connect again.`
    : `${confirm}, start the client again.`;
  return new ClientFatalError(
    "relay-key-changed",
    `the certificate of the relay at ${where} is not the one expected: ` +
      `${o.pin ? "--pin says" : "pinned"} ${expected}, ${now}. Someone may be intercepting ` +
      `the connection, or the relay's certificate was replaced. Nothing was sent. ${fix}`,
  );
}
