/**
 * Our relay against an earlier build of itself, on the text fan-out benchmark:
 * the same generator runs a fixed load on this checkout's relay and on the
 * `server.ts` of another checkout (for example one exported with `git archive`),
 * alternating, and prints the server CPU per delivery of each run. Changes to
 * the relay's cost per delivery are measured with it (bench/analysis.md).
 *
 *   taskset -c 1 deno run -A bench/fanout_ab.ts --before DIR [--clients 500] [--rate 200] [--runs 3]
 *     [--profile DIR]   (each relay also writes a V8 CPU profile there; see profile_summary.ts)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runFanout } from "./fanout_run.ts";
import { amSpec } from "./servers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    before: { type: "string" },
    clients: { type: "string", default: "500" },
    rate: { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    senders: { type: "string", default: "10" },
    profile: { type: "string" },
  },
});
if (!values.before) throw new TypeError("give --before DIR: a checkout whose server.ts to compare");
const beforeServer = `${values.before.replace(/\/$/, "")}/server.ts`;
const here = new URL("../server.ts", import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "am-bench-" });
const clients = Number(values.clients);
const rate = Number(values.rate);
for (let run = 1; run <= Number(values.runs); run++) {
  for (const [name, path] of [["before", beforeServer], ["after", here]]) {
    const r = await runFanout({
      server: "am",
      clients,
      senders: Number(values.senders),
      rate,
      warmupMs: 500,
      measureMs: 3000,
      drainMs: 2000,
      verifiers: 2,
      readPeriodMs: clients >= 2000 ? 10 : 5,
      serverCore: 0,
      dir,
      spec: (port) => {
        const s = amSpec(port, 0);
        const cmd = s.cmd.map((a) => a === here ? path : a);
        if (values.profile) {
          cmd.splice(2, 0, "--cpu-prof", `--cpu-prof-dir=${values.profile}/${name}-${run}`);
        }
        return { ...s, cmd };
      },
    });
    const usPerDelivery = (r.serverCpuShare * 1e6) / r.deliveriesPerSec;
    console.log(
      `${run} ${name.padEnd(6)} C=${clients} rate=${rate}/s deliveries=${
        r.deliveriesPerSec.toFixed(0)
      }/s server CPU ${(r.serverCpuShare * 100).toFixed(1)} % (kernel ${
        (r.serverSysShare * 100).toFixed(1)
      } %) = ${usPerDelivery.toFixed(2)} µs/delivery p50=${r.p50Ms.toFixed(1)} p99=${
        r.p99Ms.toFixed(1)
      } ms delivered ${(r.deliveredFraction * 100).toFixed(2)} % verified ${r.verified}/${
        r.verified + r.verifyFailed
      }`,
    );
  }
}
Deno.removeSync(dir, { recursive: true });
