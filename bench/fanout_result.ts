/**
 * What one run of the text fan-out benchmark measured, and how it is worked
 * out: the server's and generator's CPU, each core's busy time and every
 * receiver's counts are read at both edges of the measured window, and the
 * summary combines them with the sample receivers' latencies and verdicts.
 *
 * @module
 */

import type { BenchPeer } from "./driver.ts";
import type { FanoutParams } from "./fanout_params.ts";
import { generatorBusy, isGeneratorBound } from "./gen_limit.ts";
import { coreBusy, coreTimes, cpuSeconds, cpuSplit, type ServerProcess } from "./proc.ts";
import type { Recorder } from "./recorder.ts";
import type { ServerKind } from "./servers.ts";

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

/** Deliveries every client has counted so far, and their bytes. */
export function counts(peers: BenchPeer[]): [number, number] {
  let n = 0;
  let bytes = 0;
  for (const p of peers) {
    n += p.counted;
    bytes += p.countedBytes;
  }
  return [n, bytes];
}

/** What is read at one edge of the measured window. */
export interface WindowEdge {
  /** CPU seconds of the server, of the generator, and the server's system part. */
  cpu: [number, number, number];
  /** Each core's busy and total time. */
  cores: ReturnType<typeof coreTimes>;
  /** Deliveries every receiver has counted, and their bytes. */
  count: number;
  bytes: number;
}

/** Reads the server's and generator's CPU, the cores and the receivers' counts now. */
export function windowEdge(server: ServerProcess, peers: BenchPeer[]): WindowEdge {
  const cpu: [number, number, number] = [
    server.cpu(),
    cpuSeconds(Deno.pid),
    cpuSplit(server.pid).system,
  ];
  const cores = coreTimes();
  const [count, bytes] = counts(peers);
  return { cpu, cores, count, bytes };
}

/** How the run went, besides what was read at the window's edges. */
export interface RunTally {
  /** The recorder of the senders and sample receivers. */
  rec: Recorder;
  /** Every client, senders first. */
  peers: BenchPeer[];
  /** Indices of the sample receivers. */
  sampled: Set<number>;
  /** Deliveries the receivers should count in all: every message sent, times receivers. */
  expected: number;
  /** Deliveries counted before sending began, and after the drain. */
  base: number;
  countEnd: number;
  /** The generator's cores (gen_limit.ts). */
  genCores: number[];
  /** The low-water mark asked for, and whether every counting socket took it. */
  lowat: number;
  lowatSet: boolean;
}

/** Works out a run's result from its window edges and tally. */
export function summarize(
  p: FanoutParams,
  start: WindowEdge,
  end: WindowEdge,
  t: RunTally,
): FanoutResult {
  const { rec, peers } = t;
  const expected = t.expected;
  const seconds = p.measureMs / 1000;
  const lat = rec.latency;
  const fraction = expected > 0 ? (t.countEnd - t.base) / expected : 0;
  const sampleExpected = rec.sentInWindow * t.sampled.size;
  const p99 = lat.percentile(99);
  const [s0, g0, k0] = start.cpu;
  const [s1, g1, k1] = end.cpu;
  const [count0, bytes0, count1, bytes1] = [start.count, start.bytes, end.count, end.bytes];
  const busy = coreBusy(start.cores, end.cores);
  const genBusy = generatorBusy(busy, t.genCores, (g1 - g0) / seconds);
  const verified = peers.reduce((n, x) => n + x.verified, 0);
  const verifyFailed = peers.reduce((n, x) => n + x.failed, 0);
  const opened = peers.reduce((n, x) => n + x.opened, 0);
  return {
    server: p.server,
    clients: p.clients,
    senders: p.senders,
    rate: p.rate,
    deliveriesPerSec: (count1 - count0) / seconds,
    deliveredFraction: fraction,
    sample: t.sampled.size,
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
    rcvLowat: t.lowatSet ? t.lowat : 0,
    verified,
    opened,
    verifyFailed,
    lostClients: peers.filter((x) => x.lost !== null).length,
    sustained: p99 < 100 && fraction >= 0.999 && verifyFailed === 0,
  };
}
