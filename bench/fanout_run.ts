/**
 * One run of the text fan-out benchmark: a fresh server process pinned to its
 * core, C clients joined to one room, K of them sending open-loop at a fixed
 * total rate (each message's intended send time is noted, so a lagging
 * generator shows up as latency rather than as a slower offered load). Every
 * other client counts its deliveries and their bytes (the delivered fraction and
 * deliveries/s come from those counts); a sample of them also decodes, times
 * against those stamps and verifies every message (latency comes from them).
 * The generator's core is watched in the window: above 85 % busy the run is
 * marked generator-bound (gen_limit.ts). The parameters are fanout_params.ts,
 * the joining fanout_join.ts and the result fanout_result.ts.
 *
 * @module
 */

import { type BenchPeer, ReadPacer } from "./driver.ts";
import { defaultLowat, type FanoutParams } from "./fanout_params.ts";
import { connectAll, driverFor, JOIN_PARALLEL, settle } from "./fanout_join.ts";
import {
  counts,
  type FanoutResult,
  summarize,
  type WindowEdge,
  windowEdge,
} from "./fanout_result.ts";
import { generatorCores } from "./gen_limit.ts";
import { LowWater } from "./rcv_lowat.ts";
import { cpuSeconds, freePort, ServerProcess, sleep } from "./proc.ts";
import { Recorder } from "./recorder.ts";
import { openPlan, sampleIndices } from "./sample.ts";
import { serverSpec } from "./servers.ts";

const DEBUG = Deno.env.get("AM_BENCH_DEBUG") === "1";

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
    const interval = (1000 * p.senders) / p.rate;
    const t0 = performance.now() + 20;
    rec.windowStart = t0 + p.warmupMs;
    rec.windowEnd = t0 + totalMs;
    const next = Array.from({ length: p.senders }, (_, k) => t0 + (k * 1000) / p.rate);
    const seqs = new Array(p.senders).fill(0);
    let start: WindowEdge | null = null;
    let end: WindowEdge;
    const senders = peers.slice(0, p.senders);
    for (;;) {
      const now = performance.now();
      if (!start && now >= rec.windowStart) {
        await p.onWindow?.(server.pid, "start");
        start = windowEdge(server, peers);
      }
      if (now >= rec.windowEnd) {
        end = windowEdge(server, peers);
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
    if (DEBUG) console.error(rec.timeline.map((x) => x.toFixed(0)).join(" "));
    return summarize(p, start ?? end, end, {
      rec,
      peers,
      sampled,
      expected,
      base,
      countEnd,
      genCores,
      lowat,
      lowatSet: marked === counting.length,
    });
  } finally {
    pacer?.stop();
    countPacer.stop();
    for (const peer of peers) peer?.close();
    await server.stop();
    if (DEBUG) console.error(server.output.slice(-2000));
  }
}
