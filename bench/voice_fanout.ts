/**
 * Voice fan-out: one talker sending a sealed 20 ms Opus frame every 20 ms to N
 * listeners in one full-duplex room (`--duplex full`), a fresh relay per N. A
 * frame is on time at a listener when it arrives within 40 ms of the moment it
 * was due (open-loop schedule: generator lag counts). The answer is the largest
 * N ≤ 2000 at which ≥ 99.9 % of (frame, listener) pairs are on time, with the
 * relay's CPU per listener.
 *
 *   taskset -c 1 deno run -A bench/voice_fanout.ts --out FILE [--steps 250,500,1000,1500,2000]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { deriveRoomKey } from "../lib/cipher.ts";
import { BENCH_PASSPHRASE } from "./am_driver.ts";
import { coreBusy, coreTimes, cpuSeconds, freePort, ServerProcess, sleep } from "./proc.ts";
import { Histogram } from "./recorder.ts";
import { amSpec } from "./servers.ts";
import type { BenchTls } from "./bench_tls.ts";
import { tonePackets, VoicePeer } from "./voice_peer.ts";

/** Lateness a frame may have and still count as on time. */
export const ON_TIME_MS = 40;

/** One run with N listeners. */
export interface VoiceFanoutResult {
  listeners: number;
  framesSent: number;
  /** (frame, listener) pairs on time / pairs expected. */
  onTimeFraction: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  relayCpuShare: number;
  /** Relay CPU per listener, in µs per second of voice. */
  relayCpuUsPerListenerSecond: number;
  generatorCpuShare: number;
  coreBusy: number[];
  verified: number;
  verifyFailed: number;
  ok: boolean;
}

/** Runs one talker and `n` listeners for `measureMs` against a fresh relay. */
export async function runVoiceFanout(
  n: number,
  measureMs: number,
  warmupMs = 500,
  tls: BenchTls | null = null,
): Promise<VoiceFanoutResult> {
  const key = await deriveRoomKey(BENCH_PASSPHRASE, "voice");
  const packets = tonePackets(50);
  const port = freePort();
  const relay = await ServerProcess.start(
    amSpec(port, 0, ["--duplex", "full", ...(tls?.flags ?? [])]),
  );
  const anchor = tls?.anchorPem ?? null;
  const peers: VoicePeer[] = [];
  try {
    const total = Math.ceil((warmupMs + measureMs) / 20);
    const due = new Float64Array(total + 2);
    const first = Math.ceil(warmupMs / 20) + 1; // counters of the measured window
    const hist = new Histogram();
    const sink = (counter: number, _bytes: number, now: number) => {
      if (counter >= first && counter <= total) hist.add(now - due[counter]);
    };
    const talker = await VoicePeer.join(port, key, "talker", null, null, anchor);
    peers.push(talker);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        peers.push(
          await VoicePeer.join(port, key, `l${i}`, sink, i < 2 ? talker.asSender : null, anchor),
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await sleep(500);
    await talker.talk();
    const t0 = performance.now() + 10;
    let sent = 0;
    let cpu0: number[] = [];
    let cores0 = coreTimes();
    while (sent < total) {
      const now = performance.now();
      while (sent < total && t0 + sent * 20 <= now) {
        sent++;
        due[sent] = t0 + (sent - 1) * 20;
        if (sent === first) {
          cpu0 = [relay.cpu(), cpuSeconds(Deno.pid)];
          cores0 = coreTimes();
        }
        talker.sendVoice(packets[sent % packets.length]);
      }
      talker.flush();
      await sleep(1);
    }
    const cpu1 = [relay.cpu(), cpuSeconds(Deno.pid)];
    const cores1 = coreTimes();
    await sleep(300);
    const seconds = measureMs / 1000;
    const expected = (total - first + 1) * n;
    const onTime = hist.fractionWithin(ON_TIME_MS) * hist.count / expected;
    const relayCpu = cpu1[0] - cpu0[0];
    const listeners = peers.slice(1);
    return {
      listeners: n,
      framesSent: sent,
      onTimeFraction: onTime,
      p50Ms: hist.percentile(50),
      p99Ms: hist.percentile(99),
      maxMs: hist.max,
      relayCpuShare: relayCpu / seconds,
      relayCpuUsPerListenerSecond: (relayCpu / seconds / n) * 1e6,
      generatorCpuShare: (cpu1[1] - cpu0[1]) / seconds,
      coreBusy: coreBusy(cores0, cores1),
      verified: listeners.reduce((a, p) => a + p.verified, 0),
      verifyFailed: listeners.reduce((a, p) => a + p.failed, 0),
      ok: onTime >= 0.999,
    };
  } finally {
    for (const p of peers) p.close();
    await relay.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "bench/results/voice_fanout.json" },
      steps: { type: "string", default: "250,500,1000,1500,2000" },
      "measure-ms": { type: "string", default: "3000" },
    },
  });
  const results: VoiceFanoutResult[] = [];
  for (const n of values.steps!.split(",").map(Number)) {
    const r = await runVoiceFanout(n, Number(values["measure-ms"]));
    results.push(r);
    console.log(
      `voice N=${n}: ${(r.onTimeFraction * 100).toFixed(3)} % on time (≤ ${ON_TIME_MS} ms), ` +
        `p50=${r.p50Ms.toFixed(1)} p99=${r.p99Ms.toFixed(1)} max=${r.maxMs.toFixed(1)} ms, ` +
        `relay cpu=${(r.relayCpuShare * 100).toFixed(0)} % (${
          r.relayCpuUsPerListenerSecond.toFixed(0)
        } µs/s per listener), gen cpu=${(r.generatorCpuShare * 100).toFixed(0)} %, ` +
        `cores=${r.coreBusy.map((x) => (x * 100).toFixed(0)).join("/")} %, verified=${r.verified}` +
        (r.ok ? " ok" : " MISS"),
    );
    if (!r.ok) break;
  }
  Deno.writeTextFileSync(values.out!, JSON.stringify(results, null, 1));
}
