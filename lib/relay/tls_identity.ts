/**
 * The relay's TLS identity: the certificate and key it serves, either files
 * the operator gives (`--tls-cert`, `--tls-key`) or its own, made on first
 * start and kept in its data directory like an SSH host key. Two relays
 * started at once on one data directory both end up serving the one identity
 * that was stored first: each writes a private temporary file and links it
 * into place, which fails for the one that comes second.
 *
 * @module
 */

import { chainFingerprint, pemBlocks, toPem } from "../tls/mod.ts";

/** File in the data directory holding the relay's own key and certificate chain. */
export const IDENTITY_FILE = "tls.pem";

/** What the relay serves. */
export interface TlsIdentity {
  /** Certificate chain as PEM, leaf first. */
  certPem: string;
  /** The leaf's private key as PEM. */
  keyPem: string;
  /** Fingerprint of the chain's anchor (see lib/tls/fingerprint.ts). */
  fingerprint: string;
  /** Where it came from, for the log. */
  source: string;
  /** Whether this start made it. */
  created: boolean;
}

/** Raised when the certificate, key or data directory cannot be used. */
export class TlsSetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsSetupError";
  }
}

/** The default data directory: `$XDG_STATE_HOME/am-server`, else `~/.local/state/am-server`. */
export function defaultDataDir(env: (name: string) => string | undefined): string | null {
  const state = env("XDG_STATE_HOME");
  if (state) return `${state}/am-server`;
  const home = env("HOME");
  return home ? `${home}/.local/state/am-server` : null;
}

/** Splits PEM text into the chain and the key; throws {@linkcode TlsSetupError} naming `what`. */
export function parseIdentity(
  certText: string,
  keyText: string,
  what: string,
): { certPem: string; keyPem: string; fingerprint: string } {
  const certs = pemBlocks(certText).filter((b) => b.label === "CERTIFICATE");
  const keys = pemBlocks(keyText).filter((b) => /PRIVATE KEY$/.test(b.label));
  if (certs.length === 0) throw new TlsSetupError(`${what} holds no PEM certificate`);
  if (keys.length !== 1) throw new TlsSetupError(`${what} must hold exactly one PEM private key`);
  const certPem = certs.map((b) => toPem(b.label, b.der)).join("");
  return {
    certPem,
    keyPem: toPem(keys[0].label, keys[0].der),
    fingerprint: chainFingerprint(certPem)!,
  };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    throw new TlsSetupError(`cannot read ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** Loads the operator's certificate chain and key files. */
export async function loadIdentityFiles(certFile: string, keyFile: string): Promise<TlsIdentity> {
  const cert = await readText(certFile, "--tls-cert");
  const key = await readText(keyFile, "--tls-key");
  return {
    ...parseIdentity(cert, key, `${certFile} / ${keyFile}`),
    source: certFile,
    created: false,
  };
}

/**
 * The relay's own identity from `dir`, made and stored on first use. The
 * directory is created owner-only and the file is written owner-only.
 */
export async function loadOrCreateIdentity(dir: string): Promise<TlsIdentity> {
  const path = `${dir}/${IDENTITY_FILE}`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new TlsSetupError(
      `cannot create the data directory ${dir}: ${(cause as Error).message}; ` +
        "give a writable one with --data-dir",
      { cause },
    );
  }
  let created = false;
  if (!await exists(path)) {
    // Loaded only here: a relay that has its certificate starts without the X.509 library.
    const { makeRelayIdentity } = await import("../tls/certificates.ts");
    const id = await makeRelayIdentity();
    const tmp = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.writeTextFile(tmp, id.keyPem + id.certPem, { mode: 0o600, createNew: true });
      // link() never replaces: of two relays racing, the second keeps the first one's file.
      await Deno.link(tmp, path).then(() => created = true, (err) => {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      });
    } catch (cause) {
      throw new TlsSetupError(`cannot write ${path}: ${(cause as Error).message}`, { cause });
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  }
  const text = await readText(path, "the relay's certificate");
  return { ...parseIdentity(text, text, path), source: path, created };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw new TlsSetupError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
