/**
 * A real `nats-server -js` for cluster tests and benchmarks: on a free
 * loopback port, with its JetStream store in a temporary directory, stopped
 * and started again on the same port and store to test NATS restarts.
 *
 * @module
 */

import { freePort } from "./harness.ts";

/** Where `nats-server` is: on PATH, or where Debian puts it (/usr/sbin is not on every PATH). */
export function natsServerPath(): string {
  for (const dir of [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/usr/bin"]) {
    try {
      const path = `${dir}/nats-server`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not there.
    }
  }
  throw new Error("nats-server is not installed; run scripts/install_nats.sh");
}

/** A certificate chain and key (PEM files) for a NATS server that requires TLS. */
export interface NatsTls {
  /** Certificate chain file. */
  certFile: string;
  /** Private key file. */
  keyFile: string;
}

/** One nats-server process (restartable). */
export class NatsServer {
  /** Its client port on 127.0.0.1. */
  readonly port: number;
  /** Its JetStream store directory. */
  readonly storeDir: string;
  readonly #tls: NatsTls | null;
  #child: Deno.ChildProcess | null = null;

  private constructor(port: number, storeDir: string, tls: NatsTls | null) {
    this.port = port;
    this.storeDir = storeDir;
    this.#tls = tls;
  }

  /**
   * Starts a server with JetStream on a free port and waits until it accepts
   * connections; with `tls`, clients must speak TLS to it.
   */
  static async start(tls: NatsTls | null = null): Promise<NatsServer> {
    const dir = await Deno.makeTempDir({ prefix: "am-nats-" });
    const server = new NatsServer(freePort(), dir, tls);
    await server.restart();
    return server;
  }

  /** Its URL. */
  get url(): string {
    return `${this.#tls ? "tls" : "nats"}://127.0.0.1:${this.port}`;
  }

  /** Starts it again (same port, same store) after {@linkcode stop}. */
  async restart(): Promise<void> {
    this.#child = new Deno.Command(natsServerPath(), {
      args: [
        ...["-js", "-a", "127.0.0.1", "-p", String(this.port), "-sd", this.storeDir],
        ...(this.#tls
          ? ["--tls", "--tlscert", this.#tls.certFile, "--tlskey", this.#tls.keyFile]
          : []),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
        c.close();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`nats-server did not start: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Stops it (SIGKILL by default: a crash) and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child) return;
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
    await child.status;
  }

  /** Stops it and removes its store. */
  async dispose(): Promise<void> {
    await this.stop();
    await Deno.remove(this.storeDir, { recursive: true }).catch(() => {});
  }
}
