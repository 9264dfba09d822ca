/**
 * The real client on a real terminal: `am-client` runs inside a tmux pane of
 * its own tmux server (its own socket, so tests never collide), and tests type
 * with `send-keys` and read the screen with `capture-pane` (plain, or `-e` to
 * see the SGR styling). Waiting is polling the screen until the expected text
 * shows, with a generous deadline. Each client gets its own XDG directories
 * and a passphrase file, so nothing touches a user's real configuration.
 *
 * @module
 */

import { CLIENT_RUN_ARGS } from "./harness.ts";

const DENO = Deno.execPath();
let serial = 0;

/** How to start a client in tmux. */
export interface TmuxClientSpec {
  /** Relay port on 127.0.0.1. */
  port: number;
  /** Nick. */
  nick: string;
  /** Room (default lobby). */
  room?: string;
  /** More client flags (default `--no-audio`). */
  args?: string[];
  /** Set NO_COLOR=1 for the client; otherwise NO_COLOR is removed from its environment. */
  noColor?: boolean;
  /** Terminal size (default 100×30). */
  columns?: number;
  /** Terminal rows. */
  rows?: number;
}

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`tmux ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** An am-client in a tmux pane. */
export class TmuxClient {
  readonly #socket: string;
  readonly #dir: string;
  /** File receiving every byte the client wrote to its terminal (after {@linkcode rawOutput} began). */
  readonly rawFile: string;

  private constructor(socket: string, dir: string) {
    this.#socket = socket;
    this.#dir = dir;
    this.rawFile = `${dir}/raw-output`;
  }

  /** Starts the client in a new tmux server; the pane shows the exit code when it ends. */
  static async start(spec: TmuxClientSpec): Promise<TmuxClient> {
    const dir = await Deno.makeTempDir({ prefix: "am-tmux-" });
    await Deno.mkdir(`${dir}/config`);
    await Deno.mkdir(`${dir}/state`);
    await Deno.writeTextFile(`${dir}/passphrase`, "test passphrase\n");
    const socket = `am-test-${Deno.pid}-${++serial}-${crypto.randomUUID().slice(0, 8)}`;
    const env = [
      "env",
      "-u AM_PASSPHRASE",
      spec.noColor ? "NO_COLOR=1" : "-u NO_COLOR",
      `XDG_CONFIG_HOME=${quote(`${dir}/config`)}`,
      `XDG_STATE_HOME=${quote(`${dir}/state`)}`,
      "DENO_NO_UPDATE_CHECK=1",
    ];
    const client = [DENO, ...CLIENT_RUN_ARGS, `127.0.0.1:${spec.port}`, "--nick", spec.nick]
      .concat(["--room", spec.room ?? "lobby", "--passphrase-file", `${dir}/passphrase`])
      .concat(spec.args ?? ["--no-audio"]).map(quote);
    // After the client ends, the pane stays with its exit code on the main screen.
    const command = `${env.join(" ")} ${client.join(" ")}; echo "am-client exited with $?"; ` +
      "exec sleep 3600";
    await run([
      "-L",
      socket,
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-x",
      String(spec.columns ?? 100),
      "-y",
      String(spec.rows ?? 30),
      command,
    ]);
    return new TmuxClient(socket, dir);
  }

  /** Copies everything the client writes from now on into {@linkcode rawFile}. */
  async rawOutput(): Promise<void> {
    await run(["-L", this.#socket, "pipe-pane", "-o", `cat >> ${quote(this.rawFile)}`]);
  }

  /** Polls the bytes written since {@linkcode rawOutput} until they hold `needle`. */
  async waitForRaw(needle: string, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await Deno.readTextFile(this.rawFile).catch(() => "")).includes(needle)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in the output`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The screen as text; with `styled`, with its SGR sequences. */
  async screen(styled = false): Promise<string> {
    return await run(["-L", this.#socket, "capture-pane", "-p", ...(styled ? ["-e"] : [])]);
  }

  /** Polls the screen until `pred` holds; returns that screen. */
  async waitFor(
    pred: string | ((screen: string) => boolean),
    what = String(pred),
    timeoutMs = 30_000,
    styled = false,
  ): Promise<string> {
    const test = typeof pred === "string" ? (s: string) => s.includes(pred) : pred;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.screen(styled);
      if (test(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Types literal text (no key names). */
  async type(text: string): Promise<void> {
    await run(["-L", this.#socket, "send-keys", "-l", text]);
  }

  /** Presses keys by tmux name (Enter, Tab, PageUp, C-t, ...). */
  async keys(...names: string[]): Promise<void> {
    await run(["-L", this.#socket, "send-keys", ...names]);
  }

  /** Types a line and presses Enter. */
  async line(text: string): Promise<void> {
    await this.type(text);
    await this.keys("Enter");
  }

  /** Resizes the terminal (the client gets SIGWINCH). */
  async resize(columns: number, rows: number): Promise<void> {
    await run(["-L", this.#socket, "resize-window", "-x", String(columns), "-y", String(rows)]);
  }

  /** Stops the tmux server (and the client with it) and removes the client's directories. */
  async kill(): Promise<void> {
    await run(["-L", this.#socket, "kill-server"]).catch(() => "");
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
