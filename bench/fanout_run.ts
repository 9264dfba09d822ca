/**
 * One run of the text fan-out benchmark: a fresh server process pinned to its
 * core, C clients joined to one room, K of them sending open-loop at a fixed
 * total rate (each message's intended send time is noted, so a lagging
 * generator shows up as latency rather than as a slower offered load). Every
 * other client counts its deliveries and their bytes (the delivered fraction and
 * deliveries/s come from those counts); a sample of them also decodes, times
 * against those stamps and verifies every message (latency comes from them).
 * The generator's core is watched in the window: above 85 % busy the run is
 * marked generator-bound (gen_limit.ts).
 *
 * @module
 */

import { AmDriver } from "./am_driver.ts";
import type { BenchTls } from "./bench_tls.ts";
import { type BenchPeer, DELIVERED_BYTES, type Driver, ReadPacer } from "./driver.ts";
import { LowWater } from "./rcv_lowat.ts";
import { IrcDriver } from "./irc_driver.ts";
import {
  coreBusy,
  coreTimes,
  cpuSeconds,
  cpuSplit,
  freePort,
  ServerProcess,
  type ServerSpec,
  sleep,
} from "./proc.ts";
import { Recorder } from "./recorder.ts";
import { DEFAULT_SAMPLE, openPlan, sampleIndices } from "./sample.ts";
import { generatorBusy, generatorCores, isGeneratorBound } from "./gen_limit.ts";
import { type ServerKind, serverSpec } from "./servers.ts";

/** Parameters of one run. */
export interface FanoutParams {
  /** Server under test. */
  server: ServerKind;
  /** Clients in the room. */
  clients: number;
  /** How many of them send. */
  senders: number;
  /** Messages a second, all senders together. */
  rate: number;
  /** Sending before the measured window, ms. */
  warmupMs: number;
  /** Measured window, ms. */
  measureMs: number;
  /** Longest wait for stragglers after sending stops, ms. */
  drainMs: number;
  /**
   * Sample receivers: they decode and time every message and verify it (ours:
   * open it; IRC: check the line). The others only count deliveries and bytes.
   */
  sample: number;
  /** Read pacing period of the sample receivers in ms (0: none); see {@linkcode ReadPacer}. */
  readPeriodMs: number;
  /** Read pacing period of the counting receivers in ms (default 50). */
  countReadMs?: number;
  /**
   * Receive low-water mark of the counting receivers' sockets in the window,
   * bytes (default: ~200 ms of a receiver's deliveries, 4–64 KiB; 0: off); see
   * bench/rcv_lowat.ts.
   */
  rcvLowat?: number;
  /** Core for the server (null: no pinning). */
  serverCore: number | null;
  /** Directory for IRC configs. */
  dir: string;
  /** Another way to start the server (profiling, a changed relay); default by kind. */
  spec?: (port: number) => ServerSpec;
  /** Our relay serves TLS with this identity (default: plain TCP). */
  tls?: BenchTls;
  /** Called with the server's pid when the measured window opens and when it closes (profilers). */
  onWindow?: (pid: number, edge: "start" | "end") => void | Promise<void>;
}

/** What one run measured. */
export interface FanoutResult {
  server: ServerKind;
  clients: number;
  senders: number;
  /** Offered messages a second. */
  rate: number;
  /** Deliveries a second: what all receivers counted inside the window / its length. */
  deliveriesPerSec: number;
  /** Delivered / expected over the whole run, from every receiver's count. */
  deliveredFraction: number;
  /** Sample receivers, and the share of window messages that reached them. */
  sample: number;
  sampleDeliveredFraction: number;
  /** Latency percentiles of the sample receivers' deliveries. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Average bytes on a receiver's socket per delivered message. */
  bytesPerDelivery: number;
  /** Server CPU seconds inside the window, and as a share of one core. */
  serverCpuSec: number;
  serverCpuShare: number;
  /** The part of {@linkcode serverCpuShare} spent in the kernel (system time). */
  serverSysShare: number;
  /** Generator CPU share of its core inside the window. */
  generatorCpuShare: number;
  /** Busy share of each core in the window, irq and softirq included. */
  coreBusy: number[];
  /** Busy share of the generator's core in the window (see gen_limit.ts). */
  generatorBusy: number;
  /** That core was above 85 % busy (gen_limit.ts): the run measured the generator too. */
  generatorBound: boolean;
  /** The counting receivers' receive low-water mark in the window (0: none set). */
  rcvLowat: number;
  /**
   * Messages verified by sample receivers (ours: compared byte for byte with the
   * sender's sealed frame; IRC: the whole line checked), and failures.
   */
  verified: number;
  /** Of them, messages also opened and authenticated with the real opener (ours). */
  opened: number;
  verifyFailed: number;
  /** Clients whose connection ended during the run. */
  lostClients: number;
  /** p99 < 100 ms, ≥ 99.9 % delivered, every sampled message verified (generator-bound or not). */
  sustained: boolean;
}

let amDriver: AmDriver | null = null;

async function driverFor(kind: ServerKind): Promise<Driver> {
  if (kind === "am") return amDriver ??= await AmDriver.create();
  return new IrcDriver(kind);
}

/** Connects `n` clients, `parallel` at a time (ngircd's accept backlog is 10). */
async function connectAll(
  driver: Driver,
  n: number,
  parallel: number,
  make: (i: number) => Parameters<Driver["connect"]>[0],
): Promise<BenchPeer[]> {
  const peers: BenchPeer[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      peers[i] = await driver.connect(make(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return peers;
}

/**
 * Clients joining at once: ngircd's accept backlog is 10; InspIRCd completes a
 * registration on its once-a-second background pass, so it needs many in flight.
 */
export const JOIN_PARALLEL: Record<ServerKind, number> = { am: 16, ngircd: 8, inspircd: 250 };

const DEBUG = Deno.env.get("AM_BENCH_DEBUG") === "1";

/** Waits (at most 20 s) until the server has used < 2 % CPU for 300 ms: joins are done. */
async function settle(server: ServerProcess): Promise<void> {
  const end = performance.now() + 20_000;
  let quiet = 0;
  let last = server.cpu();
  while (quiet < 3 && performance.now() < end) {
    await sleep(100);
    const now = server.cpu();
    quiet = now - last <= 0.002 ? quiet + 1 : 0;
    last = now;
  }
}

/**
 * One fixed text load on our relay (10 senders, 1 s warm-up, 3 s measured, paced
 * readers, relay on core 0), as the side-by-side benches use it.
 */
export function fixedTextLoad(clients: number, rate: number, dir: string): FanoutParams {
  return {
    server: "am",
    clients,
    senders: 10,
    rate,
    warmupMs: 1000,
    measureMs: 3000,
    drainMs: 3000,
    sample: DEFAULT_SAMPLE,
    readPeriodMs: 5,
    serverCore: 0,
    dir,
  };
}

/** ~200 ms of one receiver's deliveries at `perReceiver` messages a second, 4–64 KiB. */
export function defaultLowat(perReceiver: number): number {
  return Math.max(4096, Math.min(65536, Math.round(perReceiver * DELIVERED_BYTES * 0.2)));
}

/** Deliveries every client has counted so far, and their bytes. */
function counts(peers: BenchPeer[]): [number, number] {
  let n = 0;
  let bytes = 0;
  for (const p of peers) {
    n += p.counted;
    bytes += p.countedBytes;
  }
  return [n, bytes];
}

/** Runs once against a fresh server process; always stops it. */
export async function runFanout(p: FanoutParams): Promise<FanoutResult> {
  const driver = await driverFor(p.server);
  const port = freePort();
  const spec = p.spec?.(port) ??
    serverSpec(p.server, port, p.serverCore, p.dir, p.tls?.flags ?? []);
  const server = await ServerProcess.start(spec);
  const totalMs = p.warmupMs + p.measureMs;
  const perSender = Math.ceil((p.rate / p.senders) * (totalMs / 1000)) + 2;
  const rec = new Recorder(p.senders, perSender);
  let peers: BenchPeer[] = [];
  const pacer = p.readPeriodMs > 0 ? new ReadPacer(p.readPeriodMs) : null;
  const countPacer = new ReadPacer(p.countReadMs ?? 50);
  const sampled = sampleIndices(p.clients, p.senders, p.sample);
  const opens = openPlan(sampled.size, p.rate);
  const openers = new Set([...sampled].slice(0, opens.openers));
  const genCores = generatorCores(p.serverCore);
  try {
    const tJoin = performance.now();
    pacer?.start(); // joined clients read paced, so the join storm costs fewer reads
    countPacer.start();
    peers = await connectAll(driver, p.clients, JOIN_PARALLEL[p.server], (i) => ({
      port,
      index: i,
      sender: i < p.senders,
      sample: sampled.has(i),
      openEvery: openers.has(i) ? opens.every : 0,
      recorder: rec,
      pacer,
      countPacer,
      // Counting receivers read up to 50 ms of deliveries at once.
      readBufferBytes: sampled.has(i) ? undefined : 256 * 1024,
      tlsAnchor: p.tls?.anchorPem,
    }));
    if (DEBUG) {
      console.error(
        `joined ${p.clients} in ${
          (performance.now() - tJoin).toFixed(0)
        } ms, server cpu ${server.cpu()} s, gen ${cpuSeconds(Deno.pid)} s`,
      );
    }
    await settle(server);
    if (DEBUG) console.error(`settled after ${(performance.now() - tJoin).toFixed(0)} ms`);
    for (const peer of peers.slice(0, p.senders)) peer.prepare?.(perSender);
    const counting = peers.filter((x) => !sampled.has(x.index)).map((x) => x.localPort);
    const lowat = p.rcvLowat ?? defaultLowat(p.rate * (p.clients - 1) / p.clients);
    const mark = lowat > 0 && !p.tls ? LowWater.open() : null;
    const marked = mark?.set(counting, port, lowat) ?? 0;
    const [base] = counts(peers);
    let [count0, bytes0] = [base, 0];
    let [count1, bytes1] = [base, 0];
    const interval = (1000 * p.senders) / p.rate;
    const t0 = performance.now() + 20;
    rec.windowStart = t0 + p.warmupMs;
    rec.windowEnd = t0 + totalMs;
    const next = Array.from({ length: p.senders }, (_, k) => t0 + (k * 1000) / p.rate);
    const seqs = new Array(p.senders).fill(0);
    let cpu0: [number, number, number] | null = null;
    let cpu1: [number, number, number] | null = null;
    let cores0 = coreTimes();
    let cores1 = cores0;
    const senders = peers.slice(0, p.senders);
    for (;;) {
      const now = performance.now();
      if (!cpu0 && now >= rec.windowStart) {
        await p.onWindow?.(server.pid, "start");
        cpu0 = [server.cpu(), cpuSeconds(Deno.pid), cpuSplit(server.pid).system];
        cores0 = coreTimes();
        [count0, bytes0] = counts(peers);
      }
      if (now >= rec.windowEnd) {
        cpu1 = [server.cpu(), cpuSeconds(Deno.pid), cpuSplit(server.pid).system];
        cores1 = coreTimes();
        [count1, bytes1] = counts(peers);
        mark?.set(counting, port, 1); // wakes every counting socket: what waits is read now
        await p.onWindow?.(server.pid, "end");
        break;
      }
      for (let k = 0; k < senders.length; k++) {
        while (next[k] <= now && next[k] < rec.windowEnd) {
          const seq = ++seqs[k];
          rec.sending(k, seq, next[k]);
          senders[k].send(seq, next[k]);
          next[k] += interval;
        }
        senders[k].flush();
      }
      await sleep(Number(Deno.env.get("TICK") ?? 1));
    }
    mark?.close();
    const expected = rec.sent * (p.clients - 1);
    const drainEnd = performance.now() + p.drainMs;
    while (counts(peers)[0] - base < expected && performance.now() < drainEnd) await sleep(10);
    const [countEnd] = counts(peers);
    const seconds = p.measureMs / 1000;
    const lat = rec.latency;
    const fraction = expected > 0 ? (countEnd - base) / expected : 0;
    const sampleExpected = rec.sentInWindow * sampled.size;
    const p99 = lat.percentile(99);
    const [s0, g0, k0] = cpu0 ?? cpu1!;
    const [s1, g1, k1] = cpu1!;
    const busy = coreBusy(cores0, cores1);
    const genBusy = generatorBusy(busy, genCores, (g1 - g0) / seconds);
    const verified = peers.reduce((n, x) => n + x.verified, 0);
    const verifyFailed = peers.reduce((n, x) => n + x.failed, 0);
    const opened = peers.reduce((n, x) => n + x.opened, 0);
    if (DEBUG) console.error(rec.timeline.map((x) => x.toFixed(0)).join(" "));
    return {
      server: p.server,
      clients: p.clients,
      senders: p.senders,
      rate: p.rate,
      deliveriesPerSec: (count1 - count0) / seconds,
      deliveredFraction: fraction,
      sample: sampled.size,
      sampleDeliveredFraction: sampleExpected > 0 ? rec.delivered / sampleExpected : 0,
      p50Ms: lat.percentile(50),
      p99Ms: p99,
      maxMs: lat.max,
      bytesPerDelivery: count1 > count0 ? (bytes1 - bytes0) / (count1 - count0) : 0,
      serverCpuSec: s1 - s0,
      serverCpuShare: (s1 - s0) / seconds,
      serverSysShare: (k1 - k0) / seconds,
      generatorCpuShare: (g1 - g0) / seconds,
      coreBusy: busy,
      generatorBusy: genBusy,
      generatorBound: isGeneratorBound(genBusy),
      rcvLowat: marked === counting.length ? lowat : 0,
      verified,
      opened,
      verifyFailed,
      lostClients: peers.filter((x) => x.lost !== null).length,
      sustained: p99 < 100 && fraction >= 0.999 && verifyFailed === 0,
    };
  } finally {
    pacer?.stop();
    countPacer.stop();
    for (const peer of peers) peer?.close();
    await server.stop();
    if (DEBUG) console.error(server.output.slice(-2000));
  }
}
