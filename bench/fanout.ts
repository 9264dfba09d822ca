/**
 * Text fan-out benchmark: our relay against ngircd and InspIRCd, driven by the
 * same generator (see fanout_run.ts). For each room size it runs a fixed offered
 * load on every server, then climbs a ladder of rates while p99 < 100 ms and
 * ≥ 99.9 % of deliveries arrive, and repeats the highest sustained step so the
 * report can give a median of three. A step whose generator core was full
 * (generator-bound) ends the climb without counting as sustained, so no knee is
 * claimed where the generator measured itself. Prints each run as it ends and
 * writes all of them as JSON.
 *
 *   taskset -c 1 deno run -A bench/fanout.ts --out FILE [--clients 500,2000]
 *     [--servers am,ngircd,inspircd] [--repeats N] [--rates R1,R2,… (ladder)]
 *     [--sample N (receivers that time and verify)] [--count-read-ms MS]
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { FanoutParams } from "./fanout_params.ts";
import type { FanoutResult } from "./fanout_result.ts";
import { runFanout } from "./fanout_run.ts";
import { DEFAULT_SAMPLE } from "./sample.ts";
import type { ServerKind } from "./servers.ts";

/** Plan for one room size. */
export interface RoomPlan {
  /** Clients in the room. */
  clients: number;
  /** Fixed offered load, messages a second. */
  fixedRate: number;
  /** Rates to climb (messages a second), lowest first; empty for no ladder. */
  ladder: number[];
  /** Runs at the reported rate (median taken). */
  repeats: number;
  /** Receiver read pacing, ms. */
  readPeriodMs: number;
}

/**
 * Default plans: 10 senders; ~100k deliveries/s fixed load in both rooms, then
 * a ladder rising by about 1.4× a step, up to 4.8 M deliveries/s (500 clients)
 * and 3.2 M (2000), beyond what any of the three servers sustained on one core
 * of this machine, so each server's ladder ends at its knee, not at the top.
 * Joining 2000 IRC clients takes ngircd ~25 s (every JOIN goes to every member),
 * so the big room's ladder starts higher and has fewer steps.
 */
export const PLANS: Record<number, RoomPlan> = {
  500: {
    clients: 500,
    fixedRate: 200,
    ladder: [800, 1600, 2400, 3200, 4800, 6400, 9600],
    repeats: 3,
    readPeriodMs: 5,
  },
  2000: {
    clients: 2000,
    fixedRate: 50,
    ladder: [200, 400, 800, 1600],
    repeats: 3,
    readPeriodMs: 10,
  },
};

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
    ? s[s.length >> 1]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function line(r: FanoutResult): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  return `${r.server.padEnd(8)} C=${r.clients} rate=${r.rate}/s deliveries=${
    f(r.deliveriesPerSec, 0)
  }/s ` +
    `(${f(r.deliveredFraction * 100, 2)} %) p50=${f(r.p50Ms)} p99=${f(r.p99Ms)} max=${
      f(r.maxMs)
    } ms ` +
    `server cpu=${f(r.serverCpuShare * 100, 0)} % (kernel ${
      f(r.serverSysShare * 100, 0)
    } %) gen cpu=${f(r.generatorCpuShare * 100, 0)} % ` +
    `cores=${r.coreBusy.map((x) => f(x * 100, 0)).join("/")} % ${r.bytesPerDelivery.toFixed(0)} B` +
    ` sample=${r.sample} verified=${r.verified}/${r.verified + r.verifyFailed}` +
    `${r.opened ? ` opened=${r.opened}` : ""}` +
    `${r.lostClients ? ` lost=${r.lostClients}` : ""}${r.sustained ? " ok" : " MISS"}` +
    `${r.generatorBound ? " GENERATOR-BOUND" : ""}`;
}

/** Server CPU per delivery of a run, µs. */
export function cpuPerDeliveryUs(r: FanoutResult): number {
  return (r.serverCpuShare / r.deliveriesPerSec) * 1e6;
}

/** One tagged run: which phase of the plan it belongs to. */
export interface TaggedRun extends FanoutResult {
  phase: "fixed" | "ladder" | "knee";
}

/**
 * Where a ladder ended: the highest rate sustained on a generator that was not
 * its own bottleneck (null: none), and whether the climb stopped because the
 * generator's core was full rather than because the server missed.
 */
export function kneeOf(ladder: FanoutResult[]): { rate: number | null; generatorBound: boolean } {
  let rate: number | null = null;
  for (const r of ladder) {
    if (r.generatorBound) return { rate, generatorBound: true };
    if (!r.sustained) return { rate, generatorBound: false };
    rate = r.rate;
  }
  return { rate, generatorBound: false };
}

/** Runs the plan for one server and room size. */
export async function runPlan(
  server: ServerKind,
  plan: RoomPlan,
  base: Omit<FanoutParams, "server" | "clients" | "rate" | "readPeriodMs">,
): Promise<TaggedRun[]> {
  const runs: TaggedRun[] = [];
  const run = async (rate: number, phase: TaggedRun["phase"]) => {
    const r = await runFanout({
      ...base,
      server,
      clients: plan.clients,
      rate,
      readPeriodMs: plan.readPeriodMs,
    });
    console.log(`${phase.padEnd(6)} ${line(r)}`);
    runs.push({ ...r, phase });
    return r;
  };
  // The climb ends at the first step missed or generator-bound; the knee is repeated.
  const climbed = [await run(plan.fixedRate, "fixed")];
  for (const rate of plan.ladder) {
    if (kneeOf(climbed).rate !== climbed[climbed.length - 1].rate) break;
    climbed.push(await run(rate, "ladder"));
  }
  const knee = kneeOf(climbed);
  if (knee.generatorBound) {
    const at = climbed[climbed.length - 1].rate;
    console.log(
      `${server}: the generator's core was full at ${at}/s, so no knee is claimed there` +
        (knee.rate === null ? " (no lower step was sustained)" : ` (knee ≥ ${knee.rate}/s)`),
    );
  }
  for (let i = 0; i < plan.repeats; i++) await run(knee.rate ?? plan.fixedRate, "knee");
  return runs;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "bench/results/fanout.json" },
      clients: { type: "string", default: "500,2000" },
      servers: { type: "string", default: "am,ngircd,inspircd" },
      senders: { type: "string", default: "10" },
      "measure-ms": { type: "string", default: "2000" },
      repeats: { type: "string" },
      rates: { type: "string" },
      sample: { type: "string", default: String(DEFAULT_SAMPLE) },
      "count-read-ms": { type: "string", default: "50" },
    },
  });
  const dir = Deno.makeTempDirSync({ prefix: "am-bench-" });
  const all: TaggedRun[] = [];
  // Written after every plan, so a run cut short by its time limit keeps what it had.
  const save = () => Deno.writeTextFileSync(values.out!, JSON.stringify(all, null, 1));
  for (const clients of values.clients!.split(",").map(Number)) {
    const plan = { ...(PLANS[clients] ?? { ...PLANS[500], clients }) };
    if (values.repeats) plan.repeats = Number(values.repeats);
    if (values.rates) plan.ladder = values.rates.split(",").map(Number);
    for (const server of values.servers!.split(",") as ServerKind[]) {
      all.push(
        ...await runPlan(server, plan, {
          senders: Number(values.senders),
          warmupMs: 500,
          measureMs: Number(values["measure-ms"]),
          drainMs: 2000,
          sample: Number(values.sample),
          countReadMs: Number(values["count-read-ms"]),
          serverCore: 0,
          dir,
        }),
      );
      save();
    }
    const fixed = all.filter((r) => r.clients === clients && r.phase === "fixed");
    console.log(
      `C=${clients} at the equal fixed load (${plan.fixedRate} msg/s): server CPU per delivery ` +
        fixed.map((r) => `${r.server} ${cpuPerDeliveryUs(r).toFixed(1)} µs`).join(", "),
    );
  }
  Deno.removeSync(dir, { recursive: true });
}
