/**
 * Where a client keeps what it must remember between runs: its identity key
 * (owner-only, made on first run) and the identities it has seen per room
 * (trust on first use). Both live in `$XDG_CONFIG_HOME/am/` (else
 * `~/.config/am/`).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fingerprint, Identity, IdentityError } from "./identity.ts";

export { IdentityError } from "./identity.ts";

/** The directory for the client's long-term files. */
export function configDir(env: (name: string) => string | undefined = Deno.env.get): string {
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "am");
  const home = env("HOME");
  if (!home) {
    throw new IdentityError("neither XDG_CONFIG_HOME nor HOME is set; use --identity FILE");
  }
  return join(home, ".config", "am");
}

/** Reads the identity at `path`, or makes one there (mode 0600) when there is none. */
export async function loadOrCreateIdentity(path: string): Promise<Identity> {
  let pem: string | null = null;
  try {
    pem = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new IdentityError(`cannot read the identity file ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (pem !== null) {
    const mode = (await Deno.stat(path)).mode;
    if (mode !== null && (mode & 0o077) !== 0) {
      throw new IdentityError(
        `the identity file ${path} may be read by others; run: chmod 600 ${path}`,
      );
    }
    try {
      return Identity.fromPem(pem);
    } catch (err) {
      throw new IdentityError(
        `${path}: ${(err as Error).message}; move it away to make a new one`,
        {
          cause: err,
        },
      );
    }
  }
  const id = Identity.generate();
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Written whole under a private name, then linked into place: a client starting
  // at the same moment sees either no file or the complete one, never a part.
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, id.toPem(), { mode: 0o600, createNew: true });
    await Deno.link(tmp, path);
  } catch (err) {
    // Another client made it at the same moment: use that one.
    if (err instanceof Deno.errors.AlreadyExists) return await loadOrCreateIdentity(path);
    throw new IdentityError(`cannot write the identity file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  return id;
}

/** The fingerprint of the identity at `path` (default location when absent), made if need be. */
export async function identityFingerprint(path?: string): Promise<string> {
  const id = await loadOrCreateIdentity(path ?? join(configDir(), "identity"));
  return fingerprint(id.publicKey);
}
