/**
 * What TLS costs the relay and the client: the same small runs with the relay
 * serving plain TCP (`--no-tls`) and TLS 1.3, one after the other in one
 * process, so the figures stand side by side under the same conditions. Text
 * fan-out (deliveries, latency, relay CPU), voice fan-out (on-time frames,
 * latency, relay CPU per listener), client start-up to "ready", and relay
 * memory per idle connection. Prints a Markdown section with the conditions it
 * was measured under, and writes it to `--out`.
 *
 *   deno run -A bench/tls_cost.ts [--out FILE] [--clients 200] [--rate 500]
 *     [--listeners 100] [--idle 1000] [--runs 5]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BenchTls, makeBenchTls } from "./bench_tls.ts";
import { fixedTextLoad } from "./fanout_params.ts";
import { runFanout } from "./fanout_run.ts";
import { measureMemory } from "./memory.ts";
import { measureStartup } from "./startup.ts";
import { runVoiceFanout } from "./voice_fanout.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: "bench/results/tls_cost.md" },
    clients: { type: "string", default: "200" },
    // At 2000 msg/s (400k TLS deliveries/s) the generator, not the relay, set the latency.
    rate: { type: "string", default: "500" },
    listeners: { type: "string", default: "100" },
    idle: { type: "string", default: "1000" },
    runs: { type: "string", default: "5" },
  },
});
const clients = Number(values.clients);
const rate = Number(values.rate);
const listeners = Number(values.listeners);
const idle = Number(values.idle);
const runs = Number(values.runs);

const dir = await Deno.makeTempDir({ prefix: "am-bench-tls-" });
const tls = await makeBenchTls(dir);
const modes: [string, BenchTls | null][] = [["plain TCP", null], ["TLS 1.3", tls]];
const loadBefore = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};
const f1 = (x: number) => x.toFixed(1);

try {
  say(
    `| text fan-out, ${clients} clients, 10 senders, ${rate} msg/s offered, 3 s | ` +
      "deliveries/s | delivered | p50 ms | p99 ms | relay CPU (one core) |",
  );
  say("|---|---|---|---|---|---|");
  for (const [name, t] of modes) {
    const r = await runFanout({ ...fixedTextLoad(clients, rate, dir), tls: t ?? undefined });
    say(
      `| ${name} | ${r.deliveriesPerSec.toFixed(0)} | ${
        (r.deliveredFraction * 100).toFixed(2)
      } % ` +
        `| ${f1(r.p50Ms)} | ${f1(r.p99Ms)} | ${(r.serverCpuShare * 100).toFixed(0)} % |`,
    );
  }
  say("");
  say(
    `| voice fan-out, 1 talker to ${listeners} listeners, 4 s | on time (≤ 60 ms) | ` +
      "p50 ms | p99 ms | relay CPU per listener (µs per s of voice) |",
  );
  say("|---|---|---|---|---|");
  for (const [name, t] of modes) {
    const r = await runVoiceFanout(listeners, 4000, 500, t);
    say(
      `| ${name} | ${(r.onTimeFraction * 100).toFixed(2)} % | ${f1(r.p50Ms)} | ${f1(r.p99Ms)} ` +
        `| ${r.relayCpuUsPerListenerSecond.toFixed(0)} |`,
    );
  }
  say("");
  say(`| client start-up to "ready", ${runs} runs | median ms | runs (ms) |`);
  say("|---|---|---|");
  for (const [name, t] of modes) {
    const r = await measureStartup(runs, t);
    say(
      `| ${name}${t ? " (relay pinned)" : ""} | ${r.readyMedianMs.toFixed(0)} | ` +
        `${r.readyMs.map((x) => x.toFixed(0)).join(", ")} |`,
    );
  }
  say("");
  say(`| relay memory, ${idle} idle clients in rooms of 100 | KiB per connection | RSS MiB |`);
  say("|---|---|---|");
  for (const [name, t] of modes) {
    const r = await measureMemory("am", idle, 100, dir, t);
    say(
      `| ${name} | ${(r.bytesPerConnection / 1024).toFixed(2)} | ` +
        `${(r.baseRss / 2 ** 20).toFixed(1)} → ${(r.loadedRss / 2 ** 20).toFixed(1)} |`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
const loadAfter = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const conditions =
  `Measured ${new Date().toISOString().slice(0, 16)}Z with Deno ${Deno.version.deno} ` +
  `on ${navigator.hardwareConcurrency} cores shared with other work (load average ` +
  `${loadBefore} before, ${loadAfter} after); relay on core 0, generator unpinned; loopback.`;
console.log(conditions);
await Deno.mkdir(values.out!.replace(/\/[^/]*$/, ""), { recursive: true }).catch(() => {});
const command = `deno run -A bench/tls_cost.ts --clients ${clients} --rate ${rate} ` +
  `--listeners ${listeners} --idle ${idle} --runs ${runs}`;
Deno.writeTextFileSync(
  values.out!,
  `## TLS on and off, side by side\n\n\`${command}\`. ${conditions}\n\n${lines.join("\n")}\n`,
);
