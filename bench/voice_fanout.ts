/**
 * Voice fan-out: one talker sending a sealed 20 ms Opus frame every 20 ms to N
 * listeners in one full-duplex room (`--duplex full`), a fresh relay per N. A
 * frame is on time at a listener when it arrives within 40 ms of the moment it
 * was due (open-loop schedule: generator lag counts). The answer is the largest
 * N ≤ 2000 at which ≥ 99.9 % of (frame, listener) pairs are on time and every
 * pair was received and verified, with the relay's CPU per listener. Every
 * listener checks every frame byte for byte against what the talker sent it
 * (voice_ledger.ts); `--openers` listeners also open and authenticate each one.
 *
 *   taskset -c 1 deno run -A bench/voice_fanout.ts --out FILE [--steps 250,500,1000,1500,2000]
 *     [--openers 2] [--gen-io deno|epoll|uring]
 *
 * `--gen-io epoll` reads the listeners' sockets through one epoll loop over libc
 * (lib/relay/epoll/) instead of Deno's op per read; `--gen-io uring` reads them
 * through io_uring, a multishot receive per socket whose arrivals the kernel defers
 * to a poll every 1 ms, so that a frame costs the generator no system call of its
 * own (a frame's arrival is when the poll takes it: up to 1 ms later, never earlier).
 * `AM_IO=epoll` in the environment reads the relay's sockets through epoll.
 * `--gen-perf DIR` records the generator itself with `perf` over the measured window
 * (run it with `--v8-flags=--perf-basic-prof` to see its JavaScript by function).
 *
 * Before and after a change, alternating at each step (`--runs` rounds of
 * `--servers`, `before` being the `server.ts` of another checkout), with the
 * relay's kernel share and optionally a `perf record` of its measured window:
 *
 *   taskset -c 1 deno run -A bench/voice_fanout.ts --steps 1000 --before DIR --servers before,am
 *     [--runs 3] [--perf DIR] [--profile DIR]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { deriveRoomKey } from "../lib/cipher.ts";
import { BENCH_PASSPHRASE } from "./am_driver.ts";
import {
  coreBusy,
  coreTimes,
  cpuSeconds,
  cpuSplit,
  freePort,
  perfWindow,
  ServerProcess,
  sleep,
} from "./proc.ts";
import { Histogram } from "./recorder.ts";
import { amSpec } from "./servers.ts";
import type { BenchIo, BenchTls } from "./bench_tls.ts";
import { tonePackets, VoicePeer } from "./voice_peer.ts";
import { VoiceLedger } from "./voice_ledger.ts";
import { sampleIndices } from "./sample.ts";
import { pollUring } from "../lib/relay/uring/loop.ts";
import { generatorBusy, generatorCores, isGeneratorBound } from "./gen_limit.ts";

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
  /** Of the relay's CPU, the share spent in the kernel. */
  relayKernelFraction: number;
  /** Relay CPU per listener, in µs per second of voice. */
  relayCpuUsPerListenerSecond: number;
  generatorCpuShare: number;
  coreBusy: number[];
  /** Busy share of the generator's core in the window (see gen_limit.ts). */
  generatorBusy: number;
  /** That core was above 85 % busy: the run measured the generator too. */
  generatorBound: boolean;
  /** Frames opened and authenticated by the opening listeners, and failures. */
  verified: number;
  verifyFailed: number;
  /** Listeners that opened every frame with their own keys. */
  openers: number;
  /** (frame, listener) pairs found byte for byte as the talker sent them, of all expected. */
  checkedPairs: number;
  expectedPairs: number;
  /** Pairs that differed from what the talker sent, and pairs never received. */
  failedPairs: number;
  missingPairs: number;
  /** ≥ 99.9 % on time, and every pair of every listener received and verified. */
  ok: boolean;
}

/** Which relay a run drives, and what it records of it. */
export interface VoiceRelayChoice {
  /** `server.ts` to run instead of this checkout's. */
  serverPath?: string;
  /** Runs at the start and end of the measured window (a `perf record`, say). */
  onWindow?: (pid: number, edge: "start" | "end") => Promise<void>;
  /** A directory for the relay's V8 CPU profile (`--cpu-prof`). */
  profileDir?: string;
  /** How the listeners' sockets are read (the generator's side; the relay's is `AM_IO`). */
  listenerIo?: BenchIo;
  /** Runs at the start and end of the measured window with the generator's own pid. */
  onGeneratorWindow?: (pid: number, edge: "start" | "end") => Promise<void>;
}

/** Runs one talker and `n` listeners for `measureMs` against a fresh relay. */
export async function runVoiceFanout(
  n: number,
  measureMs: number,
  warmupMs = 500,
  tls: BenchTls | null = null,
  choice: VoiceRelayChoice = {},
  openers = 2,
): Promise<VoiceFanoutResult> {
  const key = await deriveRoomKey(BENCH_PASSPHRASE, "voice");
  const packets = tonePackets(50);
  const port = freePort();
  const spec = amSpec(port, 0, ["--duplex", "full", ...(tls?.flags ?? [])]);
  const here = new URL("../server.ts", import.meta.url).pathname;
  spec.cmd = spec.cmd.map((a) => a === here && choice.serverPath ? choice.serverPath : a);
  if (choice.profileDir) spec.cmd.splice(2, 0, "--cpu-prof", `--cpu-prof-dir=${choice.profileDir}`);
  // Under `perf`, V8 names its JIT code in /tmp/perf-PID.map, so JavaScript shows by function.
  if (choice.onWindow) {
    spec.cmd = spec.cmd.map((a) =>
      a.startsWith("--v8-flags=") ? `${a},--perf-basic-prof,--logfile=/dev/null` : a
    );
  }
  const relay = await ServerProcess.start(spec);
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
    const ledger = new VoiceLedger();
    const talker = await VoicePeer.talker(port, key, "talker", anchor, ledger);
    ledger.talkerId = talker.memberId;
    peers.push(talker);
    // Opening listeners are spread over the first joiners: a talker tags at most
    // MAX_VOICE_TAGS (255) listeners, the first it admits, and only those can open.
    const opening = sampleIndices(Math.min(n, 200), 0, openers);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const opens = opening.has(i) ? "talker" : null;
        peers.push(
          await VoicePeer.join(port, key, `l${i}`, sink, opens, anchor, ledger, choice.listenerIo),
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await sleep(500);
    const verifiers = peers.filter((p) => opening.has(Number(p.nick.slice(1))));
    await Promise.all(verifiers.map((p) => p.keyed("talker")));
    await talker.talk();
    // The whole talk sealed (and noted in the ledger) before it starts, in the order it
    // is sent: frames and tags are the same as sealed on the fly, and the talker's
    // sealing (a tag per listener) stays off the generator's core during the window.
    const payloads = Array.from(
      { length: total + 1 },
      (_, i) => i === 0 ? null : talker.sealVoice(packets[i % packets.length]),
    );
    const t0 = performance.now() + 10;
    let sent = 0;
    let cpu0: number[] = [];
    let sys0 = 0;
    let cores0 = coreTimes();
    while (sent < total) {
      const now = performance.now();
      while (sent < total && t0 + sent * 20 <= now) {
        sent++;
        due[sent] = t0 + (sent - 1) * 20;
        if (sent === first) {
          await choice.onWindow?.(relay.pid, "start");
          await choice.onGeneratorWindow?.(Deno.pid, "start");
          cpu0 = [relay.cpu(), cpuSeconds(Deno.pid)];
          sys0 = cpuSplit(relay.pid).system;
          cores0 = coreTimes();
        }
        talker.sendSealed(payloads[sent]!);
      }
      talker.flush();
      await sleep(1);
    }
    const cpu1 = [relay.cpu(), cpuSeconds(Deno.pid)];
    const sys1 = cpuSplit(relay.pid).system;
    const cores1 = coreTimes();
    await choice.onWindow?.(relay.pid, "end");
    await choice.onGeneratorWindow?.(Deno.pid, "end");
    const listeners = peers.slice(1);
    const expectedPairs = sent * n;
    const received = () => listeners.reduce((a, p) => a + p.checked + p.checkFailed, 0);
    const drainEnd = performance.now() + 5000;
    while (received() < expectedPairs && performance.now() < drainEnd) await sleep(20);
    await sleep(100); // anything beyond the expected (duplicates) shows as failures
    const seconds = measureMs / 1000;
    const expected = (total - first + 1) * n;
    const onTime = hist.fractionWithin(ON_TIME_MS) * hist.count / expected;
    const relayCpu = cpu1[0] - cpu0[0];
    const busy = coreBusy(cores0, cores1);
    const genBusy = generatorBusy(busy, generatorCores(0), (cpu1[1] - cpu0[1]) / seconds);
    const checkedPairs = listeners.reduce((a, p) => a + p.checked, 0);
    const failedPairs = listeners.reduce((a, p) => a + p.checkFailed, 0);
    const missingPairs = Math.max(0, expectedPairs - checkedPairs - failedPairs);
    const verifyFailed = listeners.reduce((a, p) => a + p.failed, 0);
    return {
      listeners: n,
      framesSent: sent,
      onTimeFraction: onTime,
      p50Ms: hist.percentile(50),
      p99Ms: hist.percentile(99),
      maxMs: hist.max,
      relayCpuShare: relayCpu / seconds,
      relayKernelFraction: (sys1 - sys0) / Math.max(1e-9, relayCpu),
      relayCpuUsPerListenerSecond: (relayCpu / seconds / n) * 1e6,
      generatorCpuShare: (cpu1[1] - cpu0[1]) / seconds,
      coreBusy: busy,
      generatorBusy: genBusy,
      generatorBound: isGeneratorBound(genBusy),
      verified: listeners.reduce((a, p) => a + p.verified, 0),
      verifyFailed,
      openers: verifiers.length,
      checkedPairs,
      expectedPairs,
      failedPairs,
      missingPairs,
      ok: onTime >= 0.999 && failedPairs === 0 && missingPairs === 0 && verifyFailed === 0,
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
      servers: { type: "string", default: "am" },
      before: { type: "string" },
      runs: { type: "string", default: "1" },
      perf: { type: "string" },
      "gen-perf": { type: "string" },
      profile: { type: "string" },
      openers: { type: "string", default: "2" },
      "gen-io": { type: "string", default: "deno" },
    },
  });
  const servers = values.servers!.split(",");
  if (servers.includes("before") && !values.before) {
    throw new TypeError("give --before DIR: a checkout whose server.ts to compare");
  }
  const genIo = values["gen-io"];
  if (genIo !== "deno" && genIo !== "epoll" && genIo !== "uring") {
    throw new TypeError(`--gen-io is deno, epoll or uring, not ${genIo}`);
  }
  // A frame's arrival is then when a poll (every 1 ms) takes it: at most 1 ms late.
  if (genIo === "uring") pollUring(1);
  const results: VoiceFanoutResult[] = [];
  let missed = false;
  for (const n of values.steps!.split(",").map(Number)) {
    for (let run = 1; run <= Number(values.runs); run++) {
      for (const name of servers) {
        const tag = `${name}-${n}-${run}`;
        const r = await runVoiceFanout(n, Number(values["measure-ms"]), 500, null, {
          serverPath: name === "before"
            ? `${values.before!.replace(/\/$/, "")}/server.ts`
            : undefined,
          onWindow: values.perf ? perfWindow(`${values.perf}/${tag}.perf.data`) : undefined,
          profileDir: values.profile ? `${values.profile}/${tag}` : undefined,
          listenerIo: genIo,
          onGeneratorWindow: values["gen-perf"]
            ? perfWindow(`${values["gen-perf"]}/${tag}.gen.perf.data`)
            : undefined,
        }, Number(values.openers));
        if (name === "am") results.push(r);
        missed ||= !r.ok;
        const perFrame = r.relayCpuUsPerListenerSecond / 50;
        console.log(
          `${servers.length > 1 ? `${run} ${name.padEnd(6)} ` : ""}voice N=${n}: ${
            (r.onTimeFraction * 100).toFixed(3)
          } % on time (≤ ${ON_TIME_MS} ms), ` +
            `p50=${r.p50Ms.toFixed(1)} p99=${r.p99Ms.toFixed(1)} max=${r.maxMs.toFixed(1)} ms, ` +
            `relay cpu=${(r.relayCpuShare * 100).toFixed(0)} % (${
              r.relayCpuUsPerListenerSecond.toFixed(0)
            } µs/s per listener = ${perFrame.toFixed(1)} µs per frame delivered, kernel ${
              (r.relayKernelFraction * 100).toFixed(0)
            } %), gen cpu=${(r.generatorCpuShare * 100).toFixed(0)} %, ` +
            `cores=${r.coreBusy.map((x) => (x * 100).toFixed(0)).join("/")} %, ` +
            `pairs verified=${r.checkedPairs}/${r.expectedPairs} (failed ${r.failedPairs}, missing ${r.missingPairs}), ` +
            `opened=${r.verified}/${r.verified + r.verifyFailed} by ${r.openers}` +
            (r.ok ? " ok" : " MISS") + (r.generatorBound ? " GENERATOR-BOUND" : ""),
        );
      }
    }
    if (missed && servers.length === 1) break;
  }
  Deno.writeTextFileSync(values.out!, JSON.stringify(results, null, 1));
}
