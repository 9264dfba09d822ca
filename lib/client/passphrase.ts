/**
 * Where the room passphrase comes from: `--passphrase-file`, else
 * `AM_PASSPHRASE`, else a prompt on the terminal that does not echo. It is
 * never taken from the command line, so it cannot show in process listings.
 *
 * @module
 */

/** Raised when no passphrase can be had. */
export class PassphraseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PassphraseError";
  }
}

/** Reads the passphrase from a file (its first line). */
export async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new PassphraseError(
      `cannot read the passphrase file ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const first = text.split(/\r?\n/)[0];
  if (first === "") throw new PassphraseError(`the passphrase file ${path} is empty`);
  return first;
}

/** Asks on the terminal without echoing; Ctrl-C or Ctrl-D gives up. */
export async function promptPassphrase(prompt = "Room passphrase: "): Promise<string> {
  const enc = new TextEncoder();
  await Deno.stderr.write(enc.encode(prompt));
  Deno.stdin.setRaw(true);
  const chars: string[] = [];
  const buf = new Uint8Array(64);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) throw new PassphraseError("no passphrase entered");
      for (const ch of new TextDecoder().decode(buf.subarray(0, n))) {
        if (ch === "\r" || ch === "\n") {
          if (chars.length === 0) throw new PassphraseError("the passphrase is empty");
          return chars.join("");
        }
        if (ch === "\x03" || ch === "\x04") throw new PassphraseError("no passphrase entered");
        if (ch === "\x7f" || ch === "\b") chars.pop();
        else if (ch >= " ") chars.push(ch);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(enc.encode("\n"));
  }
}

/** Finds the passphrase by the documented order of sources. */
export async function obtainPassphrase(file: string | undefined): Promise<string> {
  if (file) return await readPassphraseFile(file);
  const env = Deno.env.get("AM_PASSPHRASE");
  if (env) {
    // Read once, then gone: child processes (audio helpers, shells) do not inherit it.
    Deno.env.delete("AM_PASSPHRASE");
    return env;
  }
  if (Deno.stdin.isTerminal()) return await promptPassphrase();
  throw new PassphraseError(
    "no passphrase: give --passphrase-file FILE or set AM_PASSPHRASE (no terminal to ask on)",
  );
}
