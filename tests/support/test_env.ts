/**
 * What every process the end-to-end tests start shares: the `deno run` arguments
 * the relay and client are shipped with, a temporary directory per test process,
 * free ports, which relay ports are plain TCP and which certificate each TLS
 * relay serves, and a reader that waits for a process's output line by line.
 *
 * @module
 */

/** The project's root directory. */
export const ROOT = new URL("../..", import.meta.url).pathname;
/** The Deno binary running the tests, which runs the relay and clients too. */
export const DENO = Deno.execPath();
const decoder = new TextDecoder();

/**
 * The permissions both executables are shipped with. The relay's `--io epoll` and the
 * client's PortAudio call native libraries through FFI.
 */
const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi"];

/** `deno run` arguments of the relay, with the permissions it is shipped with. */
export const RELAY_RUN_ARGS = [
  "run",
  ...PERMISSIONS,
  // As shipped (deno.json, scripts/compile.sh): see README, "Relay memory".
  "--v8-flags=--max-semi-space-size=4",
  // Plain TCP workers share the port through Deno.listen's reusePort (--workers).
  "--unstable-net",
  `${ROOT}server.ts`,
];
/** `deno run` arguments of the client, with the permissions it is shipped with. */
export const CLIENT_RUN_ARGS = ["run", ...PERMISSIONS, `${ROOT}client.ts`];

let tmpRoot: string | null = null;

/** A fresh directory for this test process, removed when it exits. */
export function testDir(prefix: string): string {
  if (!tmpRoot) {
    const root = tmpRoot = Deno.makeTempDirSync({ prefix: "am-test-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(root, { recursive: true });
      } catch {
        // Already gone.
      }
    });
  }
  return Deno.makeTempDirSync({ dir: tmpRoot, prefix });
}

/** Ports that serve plain TCP: relays started with --no-tls and proxies in front of them. */
export const plainPorts = new Set<number>();
/** The certificate a raw peer verifies each TLS relay's port against. */
export const relayAnchors = new Map<number, string>();
/** Each port's relay data directory: a relay restarted on a port keeps its certificate. */
export const dataDirs = new Map<number, string>();

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Resolves once `pred` holds, re-checked each time the owner calls the listeners
 * in `listeners` (when new data arrived); rejects after `timeoutMs`.
 */
export async function waitUntil(
  listeners: Set<() => void>,
  pred: () => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  if (pred()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const check = () => {
      if (!pred()) return;
      clearTimeout(timer);
      listeners.delete(check);
      resolve();
    };
    listeners.add(check);
  });
}

/** Collects a process stream as text, line by line. */
export class TextSink {
  text = "";
  readonly lines: string[] = [];
  #partial = "";
  readonly done: Promise<void>;
  #listeners = new Set<() => void>();

  /** Starts reading `stream`; `done` settles at its end. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      for await (const chunk of stream) {
        const s = decoder.decode(chunk, { stream: true });
        this.text += s;
        this.#partial += s;
        let i: number;
        while ((i = this.#partial.indexOf("\n")) >= 0) {
          this.lines.push(this.#partial.slice(0, i));
          this.#partial = this.#partial.slice(i + 1);
        }
        for (const l of this.#listeners) l();
      }
    })();
  }

  /** Waits until `pred` holds for the text so far. */
  until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return waitUntil(this.#listeners, pred, what, timeoutMs);
  }
}
