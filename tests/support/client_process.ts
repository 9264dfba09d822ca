/**
 * An `am-client --json` as its own process for end-to-end tests, with its own
 * config directory (identity, known members, known relays): its events parsed
 * as they come, lines typed into its stdin.
 *
 * @module
 */

import type { ClientEvent } from "../../lib/client/events.ts";
import { CLIENT_RUN_ARGS, DENO, plainPorts, testDir, TextSink } from "./test_env.ts";

const encoder = new TextEncoder();

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
