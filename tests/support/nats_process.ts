/**
 * A real `nats-server -js` for cluster tests and benchmarks: on a loopback
 * port it picks, with its JetStream store in a temporary directory, stopped
 * and started again on the same port and store to test NATS restarts.
 *
 * @module
 */

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
  /** Its JetStream store directory. */
  readonly storeDir: string;
  readonly #tls: NatsTls | null;
  #port = 0;
  #child: Deno.ChildProcess | null = null;

  private constructor(storeDir: string, tls: NatsTls | null) {
    this.storeDir = storeDir;
    this.#tls = tls;
  }

  /**
   * Starts a server with JetStream on a port it picks and waits until it accepts
   * connections; with `tls`, clients must speak TLS to it.
   */
  static async start(tls: NatsTls | null = null): Promise<NatsServer> {
    const server = new NatsServer(await Deno.makeTempDir({ prefix: "am-nats-" }), tls);
    await server.restart();
    return server;
  }

  /** Its client port on 127.0.0.1. */
  get port(): number {
    return this.#port;
  }

  /** Its URL. */
  get url(): string {
    return `${this.#tls ? "tls" : "nats"}://127.0.0.1:${this.#port}`;
  }

  /**
   * Starts it again (same port, same store) after {@linkcode stop}. Ready once this
   * server says so in its log: a connection that succeeds could reach another
   * program that took the port meanwhile, and then this server would fail to start.
   */
  async restart(): Promise<void> {
    const child = new Deno.Command(natsServerPath(), {
      args: [
        ...["-js", "-a", "127.0.0.1", "-p", String(this.#port || -1), "-sd", this.storeDir],
        ...(this.#tls
          ? ["--tls", "--tlscert", this.#tls.certFile, "--tlskey", this.#tls.keyFile]
          : []),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let log = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    try {
      while (!/\[INF\] Server is ready/.test(log)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`nats-server did not start:\n${log}`);
        log += value;
      }
    } finally {
      clearTimeout(timer);
    }
    const port = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
    if (!port) throw new Error(`nats-server did not say where it listens:\n${log}`);
    this.#port = Number(port[1]);
    // Keep reading its log, so that it never blocks on a full pipe.
    (async () => {
      while (!(await lines.read()).done);
    })().catch(() => {});
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
