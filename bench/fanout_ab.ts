/**
 * Server CPU per delivery at one fixed load, side by side: this checkout's
 * relay (`am`), the `server.ts` of another checkout (`before`, for example one
 * exported with `git archive`), ngircd and InspIRCd, each a fresh process on
 * core 0, driven in turn by the same generator, repeated. Prints each run's
 * CPU per delivery and how much of it was kernel time; changes to the relay's
 * cost per delivery are measured with it (bench/analysis.md).
 *
 * `amN` (e.g. `am2`) is this checkout's relay with `--workers N` (`beforeN` the
 * other checkout's), on every core
 * (`taskset -c 0-<last>`) unless `--cores LIST` says which: on a 2-core machine
 * its workers share the cores with the generator, which the printed generator
 * CPU and per-core busy shares show.
 *
 *   taskset -c 1 deno run -A bench/fanout_ab.ts [--servers before,am,am2,ngircd,inspircd] [--before DIR]
 *     [--clients 500] [--rate 200] [--runs 3] [--cores LIST (amN relays' taskset list)]
 *     [--profile DIR]   (our relays also write a V8 CPU profile there; see profile_summary.ts)
 *     [--perf DIR]      (`perf record -e cpu-clock -g` of the server inside the measured window:
 *                        kernel and native time by symbol; JavaScript by function (--perf-basic-prof))
 *     [--syscalls]      (every system call of the server in the measured window, per delivery)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runFanout } from "./fanout_run.ts";
import { DEFAULT_SAMPLE } from "./sample.ts";
import { amSpec, type ServerKind } from "./servers.ts";
import { perfWindow, writeCallsWindow } from "./proc.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    servers: { type: "string", default: "before,am" },
    before: { type: "string" },
    clients: { type: "string", default: "500" },
    rate: { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    senders: { type: "string", default: "10" },
    profile: { type: "string" },
    perf: { type: "string" },
    cores: { type: "string" },
    syscalls: { type: "boolean", default: false },
  },
});
const servers = values.servers!.split(",");
if (servers.some((s) => s.startsWith("before")) && !values.before) {
  throw new TypeError("give --before DIR: a checkout whose server.ts to compare");
}
const here = new URL("../server.ts", import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "am-bench-" });
const clients = Number(values.clients);
const rate = Number(values.rate);

for (let run = 1; run <= Number(values.runs); run++) {
  for (const name of servers) {
    const workers = /^(?:am|before)(\d+)$/.exec(name)?.[1];
    const ours = name === "am" || name === "before" || workers !== undefined;
    const path = name.startsWith("before")
      ? `${values.before!.replace(/\/$/, "")}/server.ts`
      : here;
    const perf = values.perf ? perfWindow(`${values.perf}/${name}-${run}.perf.data`) : undefined;
    const writes = writeCallsWindow(values.syscalls);
    const r = await runFanout({
      server: ours ? "am" : name as ServerKind,
      clients,
      senders: Number(values.senders),
      rate,
      warmupMs: 500,
      measureMs: 3000, // deliveries/write below assumes it
      drainMs: 2000,
      sample: DEFAULT_SAMPLE,
      readPeriodMs: clients >= 2000 ? 10 : 5,
      serverCore: 0,
      dir,
      onWindow: async (pid, edge) => {
        await Promise.all([writes.onWindow(pid, edge), perf?.(pid, edge)]);
      },
      spec: ours
        ? (port) => {
          // Stated even for every core: the generator's affinity (taskset -c 1) would be inherited.
          const every = values.cores ?? `0-${navigator.hardwareConcurrency - 1}`;
          const s = workers ? amSpec(port, every, ["--workers", workers]) : amSpec(port, 0);
          // Under `perf`, V8 names its JIT code in /tmp/perf-PID.map, so JavaScript shows by function.
          const cmd = s.cmd.map((a) =>
            a === here
              ? path
              : values.perf && a.startsWith("--v8-flags=")
              ? `${a},--perf-basic-prof,--logfile=/dev/null`
              : a
          );
          if (values.profile) {
            cmd.splice(2, 0, "--cpu-prof", `--cpu-prof-dir=${values.profile}/${name}-${run}`);
          }
          return { ...s, cmd };
        }
        : undefined,
    });
    const usPerDelivery = (r.serverCpuShare * 1e6) / r.deliveriesPerSec;
    const kernelUs = (r.serverSysShare * 1e6) / r.deliveriesPerSec;
    console.log(
      `${run} ${name.padEnd(8)} C=${clients} rate=${rate}/s deliveries=${
        r.deliveriesPerSec.toFixed(0)
      }/s server CPU ${(r.serverCpuShare * 100).toFixed(1)} % = ${
        usPerDelivery.toFixed(2)
      } µs/delivery (kernel ${kernelUs.toFixed(2)}) ${
        // Under --io uring the relay's sends are no system call: nothing here to count.
        writes.count() && Deno.env.get("AM_IO") !== "uring"
          ? (r.deliveriesPerSec * 3 / writes.count()).toFixed(1)
          : "–"} deliveries/write p50=${r.p50Ms.toFixed(1)} p99=${
        r.p99Ms.toFixed(1)
      } ms delivered ${(r.deliveredFraction * 100).toFixed(2)} % generator CPU ${
        (r.generatorCpuShare * 100).toFixed(0)
      } % cores ${r.coreBusy.map((b) => `${(b * 100).toFixed(0)} %`).join(" / ")}${
        r.verified ? ` verified ${r.verified}/${r.verified + r.verifyFailed}` : ""
      }`,
    );
    if (values.syscalls) {
      // Per delivered text: the window is 3 s (measureMs).
      const perDelivery = (n: number) => (n / (r.deliveriesPerSec * 3)).toFixed(4);
      console.log(
        `  system calls per delivery: ${
          writes.calls().map(([call, n]) => `${call} ${perDelivery(n)} (${n})`).join(", ")
        }`,
      );
    }
  }
}
Deno.removeSync(dir, { recursive: true });
