/**
 * Client start-up time: from spawning `am-client --json` to its "ready" event
 * (connected, hello answered, room key derived), median of several runs against
 * a relay on loopback. For the analysis it also times the floor under it: Deno
 * starting an empty program, and the room key derivation (scrypt) alone.
 *
 *   deno run -A bench/startup.ts --out FILE [--runs 9]
 *
 * @module
 */

import { CLIENT_RUN_ARGS } from "../tests/support/harness.ts";
import { parseArgs } from "node:util";
import { deriveRoomKey } from "../lib/cipher.ts";
import { median } from "./fanout.ts";
import { freePort, ServerProcess } from "./proc.ts";
import { amSpec } from "./servers.ts";
import type { BenchTls } from "./bench_tls.ts";

/** Start-up figures, ms. */
export interface StartupResult {
  runs: number;
  /** Spawn to "ready", each run. */
  readyMs: number[];
  readyMedianMs: number;
  /** Spawn to exit of `deno run` on an empty program. */
  emptyDenoMedianMs: number;
  /** One scrypt room-key derivation in-process. */
  scryptMedianMs: number;
}

/**
 * Spawns a client and resolves with ms until its "ready" line (then kills it).
 * `config` is its XDG_CONFIG_HOME (where it pins a TLS relay); `args` go last.
 */
async function timeToReady(
  port: number,
  nick: string,
  config: string,
  args: string[],
): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...CLIENT_RUN_ARGS,
      `127.0.0.1:${port}`,
      "--nick",
      nick,
      "--room",
      "startup",
      "--json",
      ...args,
    ],
    env: { AM_PASSPHRASE: "startup passphrase", NO_COLOR: "1", XDG_CONFIG_HOME: config },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const dec = new TextDecoder();
  let text = "";
  let ms = NaN;
  for await (const chunk of child.stdout) {
    text += dec.decode(chunk);
    if (/"event":"ready"/.test(text)) {
      ms = performance.now() - t0;
      break;
    }
  }
  child.kill("SIGKILL");
  await child.status;
  await child.stdin.close().catch(() => {});
  if (Number.isNaN(ms)) throw new Error(`client never became ready: ${text}`);
  return ms;
}

async function timeEmptyDeno(): Promise<number> {
  const t0 = performance.now();
  await new Deno.Command(Deno.execPath(), { args: ["eval", "0"], stdout: "null" }).output();
  return performance.now() - t0;
}

/**
 * Measures `runs` client start-ups (after one unmeasured warm-up run). With
 * `tls`, the relay serves it and the warm-up run pins it on first use, so the
 * measured runs are a returning user's (one verified connection each).
 */
export async function measureStartup(
  runs: number,
  tls: BenchTls | null = null,
): Promise<StartupResult> {
  const port = freePort();
  const relay = await ServerProcess.start(amSpec(port, null, tls?.flags ?? []));
  const config = await Deno.makeTempDir({ prefix: "am-bench-config-" });
  const args = tls ? [] : ["--no-tls"];
  try {
    await timeToReady(port, "warmup", config, args); // fills Deno's module cache; pins
    const readyMs: number[] = [];
    for (let i = 0; i < runs; i++) readyMs.push(await timeToReady(port, `s${i}`, config, args));
    const empty: number[] = [];
    const scrypt: number[] = [];
    for (let i = 0; i < runs; i++) {
      empty.push(await timeEmptyDeno());
      const t0 = performance.now();
      await deriveRoomKey("startup passphrase", "startup");
      scrypt.push(performance.now() - t0);
    }
    return {
      runs,
      readyMs,
      readyMedianMs: median(readyMs),
      emptyDenoMedianMs: median(empty),
      scryptMedianMs: median(scrypt),
    };
  } finally {
    await relay.stop();
    await Deno.remove(config, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "bench/results/startup.json" },
      runs: { type: "string", default: "9" },
    },
  });
  const r = await measureStartup(Number(values.runs));
  console.log(
    `client start-up to "ready": median ${r.readyMedianMs.toFixed(0)} ms over ${r.runs} runs ` +
      `(${r.readyMs.map((x) => x.toFixed(0)).join(", ")}); empty deno ${
        r.emptyDenoMedianMs.toFixed(0)
      } ms; scrypt ${r.scryptMedianMs.toFixed(0)} ms`,
  );
  Deno.writeTextFileSync(values.out!, JSON.stringify(r, null, 1));
}
