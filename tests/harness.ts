/**
 * End-to-end test harness: the real relay and real clients as separate
 * processes over real TCP sockets on loopback, and a recording proxy that
 * keeps every byte crossing it (to prove the relay only ever sees ciphertext).
 *
 * @module
 */

import type { ClientEvent } from "../lib/events.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DENO = Deno.execPath();
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
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
  async until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      this.#listeners.add(check);
    });
  }
}

/** A relay (`server.ts`) running as its own process. */
export class RelayProcess {
  readonly port: number;
  readonly #child: Deno.ChildProcess;
  readonly #stderr: TextSink;
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(port: number, child: Deno.ChildProcess) {
    this.port = port;
    this.#child = child;
    this.#stderr = new TextSink(child.stderr);
    this.status = child.status;
    child.stdout.cancel();
  }

  /** Starts a relay on a free port (or `port`) and waits until it listens. */
  static async start(args: string[] = [], port = freePort()): Promise<RelayProcess> {
    const child = new Deno.Command(DENO, {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        `${ROOT}server.ts`,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        ...args,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const relay = new RelayProcess(port, child);
    await relay.#stderr.until(
      () => relay.logs.includes(" listening "),
      15000,
      "the relay to listen",
    );
    return relay;
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

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdout = new TextSink(child.stdout);
    this.#stderr = new TextSink(child.stderr);
    this.#stdin = child.stdin.getWriter();
    this.status = child.status;
  }

  /** Starts a client against the relay on `port`. */
  static start(port: number, spec: ClientSpec): ClientProcess {
    const env: Record<string, string> = { NO_COLOR: "1", ...spec.env };
    const passphrase = spec.passphrase === undefined ? "test passphrase" : spec.passphrase;
    if (passphrase !== null) env.AM_PASSPHRASE = passphrase;
    const child = new Deno.Command(DENO, {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-write",
        "--allow-ffi",
        `${ROOT}client.ts`,
        spec.address ?? `127.0.0.1:${port}`,
        "--nick",
        spec.nick,
        "--room",
        spec.room ?? "lobby",
        "--json",
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
    const parts = [...this.upstream, ...this.downstream];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
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
