/**
 * End-to-end test harness: the real relay and real clients as separate
 * processes over real TCP sockets on loopback, and a recording proxy that
 * keeps every byte crossing it (to prove the relay only ever sees ciphertext).
 * Relays speak TLS as shipped unless a test starts one with `--no-tls`; every
 * relay and client gets its own data and config directories, so tests never
 * touch a user's certificate or known_relays, and clients pin on first use
 * without a prompt.
 *
 * @module
 */

import type { ClientEvent } from "../../lib/client/events.ts";
import { concatBytes } from "../../lib/framing.ts";
import { openWebSocket } from "../../lib/websocket_conn.ts";
import { chainCertificates, RELAY_CERT_NAME, toPem } from "../../lib/tls/mod.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const DENO = Deno.execPath();
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** `deno run` arguments of the relay, with the permissions it is shipped with. */
export const RELAY_RUN_ARGS = [
  "run",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  // As shipped: `--io epoll` calls libc through FFI (lib/relay/epoll/).
  "--allow-ffi",
  // As shipped (deno.json, scripts/compile.sh): see README, "Relay memory".
  "--v8-flags=--max-semi-space-size=4",
  // Plain TCP workers share the port through Deno.listen's reusePort (--workers).
  "--unstable-net",
  `${ROOT}server.ts`,
];
/** `deno run` arguments of the client, with the permissions it is shipped with. */
export const CLIENT_RUN_ARGS = [
  "run",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-ffi",
  `${ROOT}client.ts`,
];

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
const plainPorts = new Set<number>();
/** The certificate a raw peer verifies each TLS relay's port against. */
const relayAnchors = new Map<number, string>();
/** Each port's relay data directory: a relay restarted on a port keeps its certificate. */
const dataDirs = new Map<number, string>();

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
async function waitUntil(
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
class TextSink {
  text = "";
  readonly lines: string[] = [];
  #partial = "";
  readonly done: Promise<void>;
  #listeners = new Set<() => void>();

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

/** A relay (`server.ts`) running as its own process. */
export class RelayProcess {
  readonly port: number;
  readonly #child: Deno.ChildProcess;
  readonly #stderr: TextSink;
  readonly status: Promise<Deno.CommandStatus>;

  /** Process id, for measurements. */
  get pid(): number {
    return this.#child.pid;
  }

  private constructor(port: number, child: Deno.ChildProcess, stderr: TextSink) {
    this.port = port;
    this.#child = child;
    this.#stderr = stderr;
    this.status = child.status;
  }

  /**
   * Starts a relay and waits until it listens: on a port the system picks (the
   * relay reports it), or on `port`, e.g. to restart a relay where it was. It
   * serves TLS with its own certificate, kept per port across restarts, unless
   * `args` say `--no-tls`, `--data-dir` or `--tls-cert`.
   */
  static async start(args: string[] = [], port = 0): Promise<RelayProcess> {
    const plain = args.includes("--no-tls");
    const own = args.includes("--data-dir") || args.includes("--tls-cert");
    const dataDir = plain || own ? null : dataDirs.get(port) ?? testDir("relay-");
    const child = new Deno.Command(DENO, {
      args: [
        ...RELAY_RUN_ARGS,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        ...(dataDir ? ["--data-dir", dataDir] : []),
        // The web port only where a test asks for it: relays of one test must not share 9080.
        ...(args.includes("--web-port") ? [] : ["--no-web"]),
        ...args,
      ],
      env: { XDG_STATE_HOME: testDir("state-") },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    child.stdout.cancel();
    const stderr = new TextSink(child.stderr);
    const listening = () => / listening address=\S+:(\d+)/.exec(stderr.text);
    await stderr.until(
      () =>
        listening() !== null && / tls(-off)? /.test(stderr.text) &&
        (!args.includes("--web-port") || / web(-off)? /.test(stderr.text)),
      15000,
      "the relay to listen",
    ).catch((err) => {
      throw new Error(`${err.message}; relay stderr: ${stderr.text}`);
    });
    const relay = new RelayProcess(Number(listening()![1]), child, stderr);
    if (plain) plainPorts.add(relay.port);
    else {
      plainPorts.delete(relay.port);
      if (dataDir) dataDirs.set(relay.port, dataDir);
      const file = / tls .*certificate=(\S+)/.exec(relay.logs)![1];
      const chain = chainCertificates(await Deno.readTextFile(file));
      relayAnchors.set(relay.port, toPem("CERTIFICATE", chain[chain.length - 1]));
    }
    return relay;
  }

  /** The web port the relay logged at start (null when it serves none). */
  get webPort(): number | null {
    const m = / web address=\S+:(\d+)/.exec(this.logs);
    return m ? Number(m[1]) : null;
  }

  /** The fingerprint the relay logged at start (null for a plain relay). */
  get fingerprint(): string | null {
    return / tls fingerprint=(\S+)/.exec(this.logs)?.[1] ?? null;
  }

  /** Everything the relay logged so far. */
  get logs(): string {
    return this.#stderr.text;
  }

  /** Waits until the relay logged a line matching `re`. */
  waitForLog(re: RegExp, timeoutMs = 10000): Promise<void> {
    return this.#stderr.until(() => re.test(this.logs), timeoutMs, `relay log ${re}`);
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
    const status = await this.status;
    await this.#stderr.done;
    return status;
  }
}

/** Options for a client process. */
export interface ClientSpec {
  /** Nick. */
  nick: string;
  /** Room (default lobby). */
  room?: string;
  /** Passphrase, given through AM_PASSPHRASE (default "test passphrase"). */
  passphrase?: string | null;
  /** More flags. */
  args?: string[];
  /** More environment. */
  env?: Record<string, string>;
  /** Address argument (default 127.0.0.1:port). */
  address?: string;
  /** A compiled am-client to run instead of `deno run client.ts`. */
  binary?: string;
}

/** The client flags for the relay on `port`: --no-tls for a plain one. */
function transportArgs(port: number, args: string[]): string[] {
  return plainPorts.has(port) && !args.includes("--no-tls") ? ["--no-tls"] : [];
}

/** An `am-client --json` running as its own process. */
export class ClientProcess {
  /** Events read from stdout so far. */
  readonly events: ClientEvent[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdout: TextSink;
  readonly #stderr: TextSink;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly status: Promise<Deno.CommandStatus>;

  /** Process id, for measurements. */
  get pid(): number {
    return this.#child.pid;
  }

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdout = new TextSink(child.stdout);
    this.#stderr = new TextSink(child.stderr);
    this.#stdin = child.stdin.getWriter();
    this.status = child.status;
  }

  /**
   * Starts a client against the relay on `port`, with its own config directory
   * (so its known_relays) unless `spec.env` names one.
   */
  static start(port: number, spec: ClientSpec): ClientProcess {
    // Each client its own identity, known members and known relays, never the user's.
    const env: Record<string, string> = {
      NO_COLOR: "1",
      XDG_CONFIG_HOME: testDir("config-"),
      ...spec.env,
    };
    const passphrase = spec.passphrase === undefined ? "test passphrase" : spec.passphrase;
    if (passphrase !== null) env.AM_PASSPHRASE = passphrase;
    const child = new Deno.Command(spec.binary ?? DENO, {
      args: [
        ...(spec.binary ? [] : CLIENT_RUN_ARGS),
        spec.address ?? `127.0.0.1:${port}`,
        "--nick",
        spec.nick,
        "--room",
        spec.room ?? "lobby",
        "--json",
        ...transportArgs(port, spec.args ?? []),
        ...(spec.args ?? []),
      ],
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new ClientProcess(child);
  }

  /** Parsed JSON events; a line that is not JSON fails the test. */
  #parse(): ClientEvent[] {
    const lines = this.#stdout.lines;
    while (this.events.length < lines.length) {
      const line = lines[this.events.length];
      try {
        this.events.push(JSON.parse(line));
      } catch {
        throw new Error(`stdout line is not JSON: ${JSON.stringify(line)}`);
      }
    }
    return this.events;
  }

  /** Waits for an event matching `pred`; returns it. */
  async waitFor(
    pred: (e: ClientEvent) => boolean,
    what: string,
    timeoutMs = 15000,
  ): Promise<ClientEvent> {
    await this.#stdout.until(() => this.#parse().some(pred), timeoutMs, what).catch((err) => {
      throw new Error(
        `${err.message}; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
      );
    });
    return this.events.find(pred)!;
  }

  /** Waits until the client has joined its room. */
  ready(): Promise<ClientEvent> {
    return this.waitFor((e) => e.event === "ready", "ready");
  }

  /** Waits until the client's voice is set up (its devices open); returns the event. */
  voiceReady(): Promise<ClientEvent> {
    return this.waitFor((e) => e.event === "voice-ready", "voice ready");
  }

  /** Texts received so far. */
  texts(): string[] {
    return this.#parse().flatMap((e) => e.event === "text" ? [e.text] : []);
  }

  /** Everything on stderr so far. */
  get stderr(): string {
    return this.#stderr.text;
  }

  /** Types a line on stdin. */
  async send(line: string): Promise<void> {
    await this.#stdin.write(encoder.encode(line + "\n"));
  }

  /** Closes stdin (EOF) and waits for the exit. */
  async finish(): Promise<Deno.CommandStatus> {
    await this.#stdin.close().catch(() => {});
    const status = await this.status;
    await Promise.all([this.#stdout.done, this.#stderr.done]);
    this.#parse();
    return status;
  }

  /** Kills the process and waits for it. */
  async kill(signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus> {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
    await this.#stdin.close().catch(() => {});
    const status = await this.status;
    await Promise.all([this.#stdout.done, this.#stderr.done]);
    return status;
  }
}

/** A TCP proxy that records every byte in each direction, for wire inspection. */
export class RecordingProxy {
  readonly port: number;
  /** Bytes from clients to the relay. */
  readonly upstream: Uint8Array[] = [];
  /** Bytes from the relay to clients. */
  readonly downstream: Uint8Array[] = [];
  readonly #listener: Deno.Listener;
  readonly #conns = new Set<Deno.Conn>();

  /** Proxies a new free port to `target` on loopback. */
  constructor(target: number) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    if (plainPorts.has(target)) plainPorts.add(this.port);
    (async () => {
      for await (const client of listener) {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: target });
        this.#conns.add(client).add(server);
        this.#pipe(client, server, this.upstream);
        this.#pipe(server, client, this.downstream);
      }
    })().catch(() => {});
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn, log: Uint8Array[]): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        log.push(buf.slice(0, n));
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // One side went away.
    }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
  }

  /** Bytes seen in both directions, joined. */
  allBytes(): Uint8Array {
    return concatBytes([...this.upstream, ...this.downstream]);
  }

  /** Stops accepting and closes every proxied connection. */
  close(): void {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
  }
}

/** Whether `needle` occurs in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** A frame received by a {@linkcode RawPeer}. */
export interface RawFrame {
  /** Frame type. */
  type: number;
  /** Payload bytes. */
  payload: Uint8Array;
}

/** Bytes of a hello frame (valid unless the caller passes odd fields). */
export function helloFrame(
  nick: string,
  room = "lobby",
  extra: Record<string, unknown> = {},
): Uint8Array {
  const session = Array.from(crypto.getRandomValues(new Uint8Array(16)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const body = { v: 1, nick, room, session, keyId: "00112233445566ff", ...extra };
  const payload = encoder.encode(JSON.stringify(body));
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1);
  out[4] = 0x01;
  out.set(payload, 5);
  return out;
}

/**
 * A connection to the relay on 127.0.0.1:`port` for hand-made frames: over TLS,
 * verified against the relay's own certificate as a pinned client would, when
 * the relay serves TLS, unless `tls` is false (bytes straight onto the socket).
 */
export async function connectRelay(port: number, tls = !plainPorts.has(port)): Promise<Deno.Conn> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  tcp.setNoDelay(true);
  if (!tls) return tcp;
  const anchor = relayAnchors.get(port);
  if (!anchor) throw new Error(`no TLS relay was started on port ${port}`);
  const conn = await Deno.startTls(tcp, { hostname: RELAY_CERT_NAME, caCerts: [anchor] });
  await conn.handshake();
  return conn;
}

/**
 * A hand-driven TCP connection to a relay on loopback, speaking raw frames: for
 * hostile-input, flood and slow-reader tests. It reads (and decodes) only while
 * `reading` is true; error frames are parsed for convenience.
 */
export class RawPeer {
  readonly conn: Deno.Conn;
  /** Frames received so far. */
  readonly frames: RawFrame[] = [];
  /** Resolves when the relay closed the connection (or it failed). */
  readonly closed: Promise<void>;
  #buf = new Uint8Array(0);
  #listeners = new Set<() => void>();
  #isClosed = false;

  private constructor(conn: Deno.Conn, read: boolean) {
    this.conn = conn;
    this.closed = read ? this.#readLoop() : Promise.resolve();
  }

  /** Connects as {@linkcode connectRelay} does; `read` false leaves the socket unread. */
  static async connect(
    port: number,
    read = true,
    tls = !plainPorts.has(port),
  ): Promise<RawPeer> {
    return new RawPeer(await connectRelay(port, tls), read);
  }

  /** Connects to the relay's WebSocket endpoint on `webPort` (plain ws:// on loopback). */
  static async overWebSocket(webPort: number): Promise<RawPeer> {
    const ws = await openWebSocket(`ws://127.0.0.1:${webPort}/ws`);
    return new RawPeer(ws as unknown as Deno.Conn, true);
  }

  /** Whether the relay has closed the connection. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Bodies of the error frames received so far. */
  errors(): { code: string; message: string; fatal?: boolean }[] {
    return this.frames.filter((f) => f.type === 0x03).map((f) =>
      JSON.parse(decoder.decode(f.payload))
    );
  }

  /** Writes bytes; returns false when the socket is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until `pred` holds over the frames so far. */
  until(pred: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
    return waitUntil(this.#listeners, pred, what, timeoutMs);
  }

  /** Waits for an error frame with `code`; returns its body. */
  async error(code: string, timeoutMs = 10000): Promise<{ code: string; fatal?: boolean }> {
    await this.until(() => this.errors().some((e) => e.code === code), `error ${code}`, timeoutMs);
    return this.errors().find((e) => e.code === code)!;
  }

  /** Closes the socket. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.conn.read(chunk);
        if (n === null) break;
        const joined = new Uint8Array(this.#buf.length + n);
        joined.set(this.#buf);
        joined.set(chunk.subarray(0, n), this.#buf.length);
        let pos = 0;
        while (joined.length - pos >= 5) {
          const len = new DataView(joined.buffer, pos, 4).getUint32(0);
          if (joined.length - pos < 4 + len) break;
          this.frames.push({
            type: joined[pos + 4],
            payload: joined.slice(pos + 5, pos + 4 + len),
          });
          pos += 4 + len;
        }
        this.#buf = joined.slice(pos);
        for (const l of [...this.#listeners]) l();
      }
    } catch {
      // Reset by the relay.
    }
    this.#isClosed = true;
    for (const l of [...this.#listeners]) l();
  }
}
