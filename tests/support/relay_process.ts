/**
 * A relay (`server.ts`) as its own process for end-to-end tests: TLS with a
 * certificate of its own, kept per port across restarts, unless a test asks for
 * `--no-tls`; its log read as it comes.
 *
 * @module
 */

import { chainCertificates, toPem } from "../../lib/tls/mod.ts";
import {
  dataDirs,
  DENO,
  plainPorts,
  RELAY_RUN_ARGS,
  relayAnchors,
  testDir,
  TextSink,
} from "./test_env.ts";

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
