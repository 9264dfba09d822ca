/**
 * What the load generator itself costs: one fixed text load run with the bench
 * files of a given checkout (this one, or an older one exported with
 * `git archive`), printing the generator's CPU share, its core's busy share and
 * its CPU per delivery, so generator versions can be compared in the same
 * minutes (alternate them: the machine is shared). With `--perf FILE` it
 * records the generator with `perf record -e cpu-clock -g` inside the measured
 * window only; with `--perf-stat FILE` it counts its system calls there.
 *
 *   taskset -c 1 deno run -A bench/gen_cost.ts [--repo DIR] [--server ngircd] [--clients 500]
 *     [--rate 3200] [--count-read-ms 50] [--rcv-lowat BYTES (0: off)] [--perf FILE | --perf-stat FILE]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repo: { type: "string", default: fileURLToPath(new URL("..", import.meta.url)) },
    server: { type: "string", default: "ngircd" },
    clients: { type: "string", default: "500" },
    rate: { type: "string", default: "3200" },
    perf: { type: "string" },
    "perf-stat": { type: "string" },
    "count-read-ms": { type: "string", default: "50" },
    "rcv-lowat": { type: "string" },
  },
});

const clients = Number(values.clients);
const repo = values.repo!.replace(/\/$/, "");
const { runFanout } = await import(`file://${repo}/bench/fanout_run.ts`);
const dir = Deno.makeTempDirSync({ prefix: "am-gen-cost-" });

const SYSCALLS = ["epoll_wait", "recvfrom", "read", "sendto", "write"]
  .map((s) => `syscalls:sys_enter_${s}`).join(",");

let perf: Deno.ChildProcess | null = null;
const onWindow = async (_serverPid: number, edge: "start" | "end") => {
  const args = values.perf
    ? ["record", "-q", "-e", "cpu-clock", "-g", "-o", values.perf]
    : values["perf-stat"]
    ? ["stat", "-e", `${SYSCALLS},task-clock`, "-o", values["perf-stat"]]
    : null;
  if (!args) return;
  if (edge === "start") {
    perf = new Deno.Command("perf", {
      args: [...args, "-p", String(Deno.pid)],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } else if (perf) {
    perf.kill("SIGINT");
    await perf.status;
  }
};

// Both the old (`verifiers`) and the new (`sample`) parameter names, so any checkout runs.
const r = await runFanout({
  server: values.server,
  clients,
  senders: 10,
  rate: Number(values.rate),
  warmupMs: 500,
  measureMs: 3000,
  drainMs: 2000,
  verifiers: 2,
  sample: 20,
  countReadMs: Number(values["count-read-ms"]),
  rcvLowat: values["rcv-lowat"] === undefined ? undefined : Number(values["rcv-lowat"]),
  readPeriodMs: clients >= 2000 ? 10 : 5,
  serverCore: 0,
  dir,
  onWindow,
});
Deno.removeSync(dir, { recursive: true });
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
console.log(
  `${r.server} C=${r.clients} rate=${r.rate}/s deliveries=${Math.round(r.deliveriesPerSec)}/s ` +
    `(${(r.deliveredFraction * 100).toFixed(2)} %) p50=${r.p50Ms.toFixed(1)} p99=${
      r.p99Ms.toFixed(1)
    } ms server cpu=${pct(r.serverCpuShare)} generator cpu=${pct(r.generatorCpuShare)} (${
      ((r.generatorCpuShare / r.deliveriesPerSec) * 1e6).toFixed(3)
    } µs/delivery) cores=${r.coreBusy.map(pct).join("/")} lowat=${r.rcvLowat ?? "–"}`,
);
Deno.exit(0); // the old generator's pacers and readers may keep the loop alive
