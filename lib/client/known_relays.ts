/**
 * The client's `known_relays` file: the certificate pinned for each relay on
 * first use, like SSH's known_hosts. One line per relay, `HOST:PORT
 * FINGERPRINT CERTIFICATE` (the certificate as base64 DER, so that later
 * connections verify against it without asking the relay); `#` starts a
 * comment. Parsing and formatting are pure; reading and appending are the thin
 * I/O at the end.
 *
 * @module
 */

import { base64ToBytes, bytesToBase64, fingerprintOf, toPem } from "../tls/mod.ts";

/** One pinned relay. */
export interface KnownRelay {
  /** `host:port` as {@linkcode formatAddress} writes it. */
  address: string;
  /** The pinned fingerprint. */
  fingerprint: string;
  /** The pinned certificate as PEM. */
  certPem: string;
  /** Line number in the file, from 1, for messages. */
  line: number;
}

/** Where the file lives: `$XDG_CONFIG_HOME/am/known_relays`, else `~/.config/am/known_relays`. */
export function knownRelaysPath(env: (name: string) => string | undefined): string | null {
  const config = env("XDG_CONFIG_HOME");
  if (config) return `${config}/am/known_relays`;
  const home = env("HOME");
  return home ? `${home}/.config/am/known_relays` : null;
}

/**
 * The entries of a known_relays text. A line whose certificate does not match
 * its fingerprint is skipped (a damaged line must not pin anything).
 */
export function parseKnownRelays(text: string): KnownRelay[] {
  const out: KnownRelay[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [address, fingerprint, cert] = line.split(/\s+/);
    if (!address || !fingerprint || !cert) return;
    let der: Uint8Array;
    try {
      der = base64ToBytes(cert);
    } catch {
      return;
    }
    if (fingerprintOf(der) !== fingerprint) return;
    out.push({ address, fingerprint, certPem: toPem("CERTIFICATE", der), line: i + 1 });
  });
  return out;
}

/** The entry for `address`; the first one wins, as in SSH. */
export function findKnownRelay(entries: KnownRelay[], address: string): KnownRelay | undefined {
  return entries.find((e) => e.address === address);
}

/** The line that pins `der` for `address`. */
export function formatKnownRelay(address: string, der: Uint8Array): string {
  return `${address} ${fingerprintOf(der)} ${bytesToBase64(der)}`;
}

/** Reads the file; a missing file has no entries. */
export async function readKnownRelays(path: string): Promise<KnownRelay[]> {
  try {
    return parseKnownRelays(await Deno.readTextFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** Appends one line, creating the file (and its directory) owner-only. */
export async function appendKnownRelay(path: string, line: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(path, line + "\n", { append: true, create: true, mode: 0o600 });
}
