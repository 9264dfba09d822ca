/**
 * Writes BENCHMARKS.md from the JSON results the benchmarks left in a directory:
 * machine, date, versions, every figure and its ratio to its peer, the goals
 * they are judged against, the fairness notes, and the hand-written analysis in
 * bench/analysis.md (causes of misses, fixes with before/after).
 *
 *   deno run -A bench/report.ts RESULTS_DIR > BENCHMARKS.md
 *
 * @module
 */

import type { TaggedRun } from "./fanout.ts";
import { cpuPerDeliveryUs, median } from "./fanout.ts";
import type { MemoryResult } from "./memory.ts";
import { serverVersions } from "./servers.ts";
import type { StartupResult } from "./startup.ts";
import type { BandwidthResult } from "./voice_bandwidth.ts";
import type { VoiceFanoutResult } from "./voice_fanout.ts";
import { fairnessNotes, goalRows, type Summary } from "./report_text.ts";

const dir = Deno.args[0] ?? "bench/results";
const read = <T>(name: string): T | null => {
  try {
    return JSON.parse(Deno.readTextFileSync(`${dir}/${name}`)) as T;
  } catch {
    return null;
  }
};

const f0 = (x: number) => Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–";
const f1 = (x: number) => Number.isFinite(x) ? x.toFixed(1) : "–";
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const ratio = (a: number, b: number) =>
  b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : "–";

function machine(): string {
  const mem = /MemTotal:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1];
  const model = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1];
  return `${navigator.hardwareConcurrency} cores (${model ?? "unknown CPU"}), ` +
    `${(Number(mem) / 2 ** 20).toFixed(1)} GiB RAM, ${Deno.build.os} ${Deno.osRelease()}`;
}

/** Server CPU share of a run, with its kernel part where the run recorded it. */
const serverCpu = (r: TaggedRun) =>
  r.serverSysShare === undefined
    ? pct(r.serverCpuShare)
    : `${pct(r.serverCpuShare)} (${pct(r.serverSysShare)})`;

/** Median run of a set, by deliveries/s; with the median p99 across them. */
function mid(runs: TaggedRun[]) {
  const sorted = [...runs].sort((a, b) => a.deliveriesPerSec - b.deliveriesPerSec);
  const m = sorted[sorted.length >> 1];
  return { ...m, p99Ms: median(runs.map((r) => r.p99Ms)), p50Ms: median(runs.map((r) => r.p50Ms)) };
}

const out: string[] = [];
const say = (s = "") => out.push(s);
const v = await serverVersions();
say("# Benchmarks");
say();
say(
  `Written by \`make bench\` (scripts/bench.sh → bench/report.ts) on ${new Date().toISOString()}.`,
);
say(`Machine: ${machine()}. Versions: Deno ${v.deno} (V8 ${v.v8}), ${v.ngircd}, ${v.inspircd}.`);
say("Every figure below comes from this one run on this machine; none is a pass/fail test.");
say();
const summary: Summary = {};

const fan = read<TaggedRun[]>("fanout.json") ?? [];
say("## Text fan-out: our relay against ngircd and InspIRCd");
say();
for (const clients of [...new Set(fan.map((r) => r.clients))]) {
  const of = (server: string, phase: string) =>
    fan.filter((r) => r.clients === clients && r.server === server && r.phase === phase);
  say(`### ${clients} clients in one room, ${fan[0]?.senders ?? "?"} senders`);
  say();
  say(
    "| server | phase | offered msg/s | deliveries/s | delivered | p50 ms | p99 ms | max ms | server CPU (of it kernel) | generator CPU | core 0 / core 1 busy | B/delivery |",
  );
  say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const genMark = (r: TaggedRun) => r.generatorBound ? " **generator-bound**" : "";
  const knees: Record<string, ReturnType<typeof mid>> = {};
  const fixed: Record<string, TaggedRun> = {};
  for (const server of ["am", "ngircd", "inspircd"]) {
    for (const r of [...of(server, "fixed"), ...of(server, "ladder")]) {
      if (r.phase === "fixed") fixed[server] = r;
      say(
        `| ${server} | ${r.phase} | ${f0(r.rate)} | ${f0(r.deliveriesPerSec)} | ${
          (r.deliveredFraction * 100).toFixed(2)
        } % | ${f1(r.p50Ms)} | ${f1(r.p99Ms)} | ${f1(r.maxMs)} | ${serverCpu(r)} | ${
          pct(r.generatorCpuShare)
        } | ${r.coreBusy.map(pct).join(" / ")}${genMark(r)} | ${r.bytesPerDelivery.toFixed(0)} |`,
      );
    }
    const k = of(server, "knee");
    if (k.length) {
      const m = knees[server] = mid(k);
      const label = k.filter((r) => r.generatorBound).length * 2 > k.length
        ? `median of ${k.length}, generator-bound: no knee claimed`
        : m.p99Ms < 100 && m.deliveredFraction >= 0.999
        ? `knee, median of ${k.length}`
        : `median of ${k.length}, not sustained`;
      say(
        `| **${server}** | **${label}** | ${f0(m.rate)} | **${f0(m.deliveriesPerSec)}** | ${
          (m.deliveredFraction * 100).toFixed(2)
        } % | ${f1(m.p50Ms)} | **${f1(m.p99Ms)}** | ${f1(m.maxMs)} | ${serverCpu(m)} | ${
          pct(m.generatorCpuShare)
        } | ${m.coreBusy.map(pct).join(" / ")}${genMark(m)} | ${m.bytesPerDelivery.toFixed(0)} |`,
      );
    }
  }
  say();
  const bound = fan.filter((r) => r.clients === clients && r.generatorBound);
  say(
    bound.length
      ? `Generator-bound runs (the generator's core above 85 % busy in the window): ${
        bound.map((r) => `${r.server} ${r.phase} ${f0(r.rate)}/s`).join(", ")
      }. A ladder stops at such a step and no knee is claimed at or above it.`
      : "No run was generator-bound (the generator's core stayed at or below 85 % busy in every window).",
  );
  say();
  const am = knees.am;
  if (am) {
    const verified = fan.filter((r) => r.clients === clients && r.server === "am");
    const ok = verified.reduce((a, r) => a + r.verified, 0);
    const bad = verified.reduce((a, r) => a + r.verifyFailed, 0);
    const opened = verified.reduce((a, r) => a + (r.opened ?? 0), 0);
    const how = am.generatorBound
      ? "Our relay's knee runs were generator-bound, so no knee is claimed (a lower bound); median of its repeats"
      : am.p99Ms < 100
      ? "Highest sustained rate (p99 < 100 ms, ≥ 99.9 % delivered), median of the knee runs"
      : "Our relay sustained none of the rates tried (median p99 ≥ 100 ms); median of its repeats";
    say(
      `${how}: ours ${f0(am.deliveriesPerSec)} deliveries/s; ` +
        `ratio to ngircd ${ratio(am.deliveriesPerSec, knees.ngircd?.deliveriesPerSec ?? NaN)}, ` +
        `to InspIRCd ${ratio(am.deliveriesPerSec, knees.inspircd?.deliveriesPerSec ?? NaN)}.`,
    );
    const cpuPer = (r?: TaggedRun) => r ? cpuPerDeliveryUs(r) : NaN;
    say(
      `At the equal fixed load (${f0(fixed.am?.rate ?? NaN)} msg/s): server CPU per delivery ours ${
        f1(cpuPer(fixed.am))
      } µs, ` +
        `ngircd ${f1(cpuPer(fixed.ngircd))} µs, InspIRCd ${
          f1(cpuPer(fixed.inspircd))
        } µs; p99 ours ${f1(fixed.am?.p99Ms ?? NaN)} ms, ` +
        `ngircd ${f1(fixed.ngircd?.p99Ms ?? NaN)} ms, InspIRCd ${
          f1(fixed.inspircd?.p99Ms ?? NaN)
        } ms.`,
    );
    say(
      `Sample receivers (${am.sample ?? "?"} a run) compared ${
        f0(ok)
      } sealed messages byte for byte with what their senders sealed and opened ${
        f0(opened)
      } with the real Opener (${bad} failures); ` +
        "every other receiver counted its deliveries and bytes.",
    );
    if (fixed.am && fixed.ngircd && fixed.inspircd) {
      (summary.cpuPerDelivery ??= {})[clients] = {
        ours: cpuPer(fixed.am),
        ngircd: cpuPer(fixed.ngircd),
        inspircd: cpuPer(fixed.inspircd),
        rate: fixed.am.rate,
      };
    }
    const faster = Math.max(
      knees.ngircd?.deliveriesPerSec ?? 0,
      knees.inspircd?.deliveriesPerSec ?? 0,
    );
    const peerSustained = ["ngircd", "inspircd"].some((k) =>
      (knees[k]?.p99Ms ?? Infinity) < 100 && !knees[k]?.generatorBound
    );
    summary[`fanout${clients}`] = {
      ours: am.deliveriesPerSec,
      peer: faster,
      p99: am.p99Ms,
      comparable: peerSustained && !am.generatorBound,
    };
  }
  say();
}

const vf = read<VoiceFanoutResult[]>("voice_fanout.json") ?? [];
say("## Voice fan-out: one talker, N listeners, full-duplex room");
say();
say(
  "| listeners | on time (≤ 40 ms) | p50 ms | p99 ms | max ms | relay CPU | relay CPU per listener | generator CPU | core 0 / core 1 busy | pairs verified (every listener) | opened (sample) |",
);
say("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of vf) {
  const pairs = r.expectedPairs === undefined
    ? "–"
    : `${f0(r.checkedPairs)}/${f0(r.expectedPairs)}${
      r.failedPairs || r.missingPairs
        ? ` (**${r.failedPairs} failed, ${r.missingPairs} missing**)`
        : ""
    }`;
  say(
    `| ${r.listeners} | ${(r.onTimeFraction * 100).toFixed(3)} % | ${f1(r.p50Ms)} | ${
      f1(r.p99Ms)
    } | ${f1(r.maxMs)} | ${pct(r.relayCpuShare)} | ${f0(r.relayCpuUsPerListenerSecond)} µs/s (${
      (r.relayCpuUsPerListenerSecond / 1e4).toFixed(3)
    } % of a core) | ${pct(r.generatorCpuShare)} | ${r.coreBusy.map(pct).join(" / ")}${
      r.generatorBound ? " **generator-bound**" : ""
    } | ${pairs} | ${r.verified}/${r.verified + r.verifyFailed} |`,
  );
}
const bestN = Math.max(0, ...vf.filter((r) => r.ok).map((r) => r.listeners));
summary.voiceListeners = bestN;
say();
say(
  `Largest N with ≥ 99.9 % of frames on time and every (frame, listener) pair received and verified byte for byte: **${
    bestN || "none of the steps"
  }**.`,
);
say();

const bw = read<BandwidthResult>("voice_bandwidth.json");
say("## Wire bandwidth of one voice stream");
say();
if (bw) {
  summary.voiceKbits = Math.max(bw.upKbits, bw.downKbits);
  say("| | kbit/s | ratio to ours (down, socket) |");
  say("| --- | ---: | ---: |");
  say(`| ours, talker → relay (socket bytes: framing + counter + tag) | ${f1(bw.upKbits)} | |`);
  say(
    `| ours, relay → listener (socket bytes, + 2-byte member id) | ${f1(bw.downKbits)} | 1.00× |`,
  );
  say(
    `| ours, relay → listener with TCP/IPv4 headers (52 B/segment) | ${f1(bw.downWireKbits)} | ${
      ratio(bw.downWireKbits, bw.downKbits)
    } |`,
  );
  say(
    `| raw PCM 44.1 kHz/16-bit mono (the original project) | 705.6 | ${
      ratio(705.6, bw.downKbits)
    } |`,
  );
  say(`| Mumble default, on the wire | ~55 | ${ratio(55, bw.downKbits)} |`);
  say();
  say(
    `Opus packets of the test tone averaged ${
      f1(bw.opusBytes)
    } bytes (24 kbit/s VOIP, 20 ms); ${bw.frames} frames over ${bw.seconds} s.`,
  );
}
say();

const mem = read<MemoryResult[]>("memory.json") ?? [];
say("## Memory per idle connection");
say();
say(
  "| server | clients (rooms of 100) | RSS before | RSS with clients | per connection | ratio to ours | time to join all | CPU while all idle |",
);
say("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
const amMem = mem.find((m) => m.server === "am");
for (const m of mem) {
  say(
    `| ${m.server} | ${m.clients} | ${f1(m.baseRss / 2 ** 20)} MiB | ${
      f1(m.loadedRss / 2 ** 20)
    } MiB | **${(m.bytesPerConnection / 1024).toFixed(2)} KiB** | ${
      ratio(m.bytesPerConnection, amMem?.bytesPerConnection ?? NaN)
    } | ${f1(m.joinSeconds)} s | ${
      m.idleCpuShare === undefined ? "—" : `${(m.idleCpuShare * 100).toFixed(2)} % of a core`
    } |`,
  );
}
if (amMem) {
  summary.kibPerConn = amMem.bytesPerConnection / 1024;
  summary.memClients = amMem.clients;
  summary.idleCpuShare = amMem.idleCpuShare;
}
say();

const st = read<StartupResult>("startup.json");
say("## Client start-up");
say();
if (st) {
  summary.startupMs = st.readyMedianMs;
  say(
    `\`am-client --json\` from spawn to its "ready" event (connected, welcomed, room key derived): **median ${
      f0(st.readyMedianMs)
    } ms** over ${st.runs} runs (${st.readyMs.map(f0).join(", ")} ms). ` +
      `Of that, Deno starting an empty program takes ${
        f0(st.emptyDenoMedianMs)
      } ms and the scrypt room key ${f0(st.scryptMedianMs)} ms.`,
  );
}
say();

const vl = read<{ p50: number; p99: number }>("voice_latency.json");
if (vl) summary.voiceLatency = { p50: vl.p50, p99: vl.p99 };
for (
  const extra of [
    "voice_latency.md",
    "voice_cpu.md",
    "browser_voice.md",
    "cluster.md",
    "tls_cost.md",
    "page_join.md",
  ]
) {
  try {
    say(Deno.readTextFileSync(`${dir}/${extra}`));
  } catch {
    // Not produced this run.
  }
}

say("## Goals");
say();
say("| goal | figure | met |");
say("| --- | --- | --- |");
for (const row of goalRows(summary)) say(`| ${row.join(" | ")} |`);
say();
say(fairnessNotes());
say();
try {
  say(Deno.readTextFileSync(new URL("./analysis.md", import.meta.url)));
} catch {
  // No analysis written yet.
}
console.log(out.join("\n"));
