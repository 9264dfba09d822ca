/**
 * Memory per idle connection: the server's resident memory with 10,000 clients
 * connected, registered and sitting in rooms of 100 (IRC: channels), minus its
 * memory before the first client, divided by the clients; and the CPU the
 * server uses while they all sit idle (timers, sweeps). Our relay against
 * ngircd and InspIRCd, each a fresh process on its own core. Prints figures and
 * writes them as JSON.
 *
 *   taskset -c 1 deno run -A bench/memory.ts --out FILE [--clients 10000] [--servers am,ngircd]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { AmDriver } from "./am_driver.ts";
import type { BenchTls } from "./bench_tls.ts";
import type { BenchPeer, Driver } from "./driver.ts";
import { JOIN_PARALLEL } from "./fanout_join.ts";
import { IrcDriver } from "./irc_driver.ts";
import { freePort, ServerProcess, sleep } from "./proc.ts";
import { Recorder } from "./recorder.ts";
import { type ServerKind, serverSpec } from "./servers.ts";

/** What one server used. */
export interface MemoryResult {
  server: ServerKind;
  clients: number;
  /** Clients per room. */
  roomSize: number;
  /** RSS before any client, bytes. */
  baseRss: number;
  /** RSS with every client idle in its room (2 s after the last joined), bytes. */
  loadedRss: number;
  /** RSS at the end of the idle-CPU window, bytes. */
  settledRss: number;
  /** (loaded − base) / clients, bytes. */
  bytesPerConnection: number;
  /** Seconds it took to connect and join them all. */
  joinSeconds: number;
  /** Share of one core the server used while every client sat idle. */
  idleCpuShare: number;
}

/** How long the idle CPU is measured, ms (AM_BENCH_IDLE_MS: longer, to see memory settle). */
const IDLE_WINDOW_MS = Number(Deno.env.get("AM_BENCH_IDLE_MS") ?? 10_000);

/** Connects `clients` idle clients to a fresh `server` and measures its RSS. */
export async function measureMemory(
  server: ServerKind,
  clients: number,
  roomSize: number,
  dir: string,
  tls: BenchTls | null = null,
): Promise<MemoryResult> {
  const driver: Driver = server === "am" ? await AmDriver.create() : new IrcDriver(server);
  const port = freePort();
  const proc = await ServerProcess.start(serverSpec(server, port, 0, dir, tls?.flags ?? []));
  const recorder = new Recorder(0, 0);
  const peers: BenchPeer[] = [];
  try {
    await sleep(300);
    const baseRss = proc.rss();
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < clients) {
        const i = next++;
        peers.push(
          await driver.connect({
            port,
            index: 100000 + i, // no sender numbers
            sender: false,
            sample: false,
            recorder,
            pacer: null,
            room: `r${Math.floor(i / roomSize)}`,
            readBufferBytes: 4096,
            tlsAnchor: tls?.anchorPem,
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: JOIN_PARALLEL[server] }, worker));
    const joinSeconds = (performance.now() - t0) / 1000;
    await sleep(2000); // idle: let the server settle (and a GC run)
    const loadedRss = proc.rss();
    const cpu0 = proc.cpu();
    const t1 = performance.now();
    await sleep(IDLE_WINDOW_MS);
    const idleCpuShare = (proc.cpu() - cpu0) / ((performance.now() - t1) / 1000);
    const settledRss = proc.rss();
    return {
      server,
      clients,
      roomSize,
      baseRss,
      loadedRss,
      settledRss,
      bytesPerConnection: (loadedRss - baseRss) / clients,
      joinSeconds,
      idleCpuShare,
    };
  } finally {
    for (const p of peers) p.close();
    await proc.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "bench/results/memory.json" },
      clients: { type: "string", default: "10000" },
      servers: { type: "string", default: "am,ngircd,inspircd" },
    },
  });
  const dir = Deno.makeTempDirSync({ prefix: "am-bench-" });
  const results: MemoryResult[] = [];
  for (const server of values.servers!.split(",") as ServerKind[]) {
    const r = await measureMemory(server, Number(values.clients), 100, dir);
    console.log(
      `${server.padEnd(8)} ${r.clients} idle clients: ${
        (r.bytesPerConnection / 1024).toFixed(2)
      } KiB ` +
        `per connection (RSS ${(r.baseRss / 2 ** 20).toFixed(1)} → ${
          (r.loadedRss / 2 ** 20).toFixed(1)
        } MiB, ` +
        `joined in ${r.joinSeconds.toFixed(1)} s; ${
          ((r.settledRss - r.baseRss) / r.clients / 1024).toFixed(2)
        } KiB ${IDLE_WINDOW_MS / 1000} s later; idle CPU ${
          (r.idleCpuShare * 100).toFixed(2)
        } % of a core)`,
    );
    results.push(r);
  }
  Deno.writeTextFileSync(values.out!, JSON.stringify(results, null, 1));
  Deno.removeSync(dir, { recursive: true });
}
