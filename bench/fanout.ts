/**
 * Text fan-out benchmark: our relay against ngircd and InspIRCd, driven by the
 * same generator (see fanout_run.ts). For each room size it runs a fixed offered
 * load on every server, then climbs a ladder of rates while p99 < 100 ms and
 * ≥ 99.9 % of deliveries arrive, and repeats the highest sustained step so the
 * report can give a median of three. Prints each run as it ends and writes all
 * of them as JSON.
 *
 *   taskset -c 1 deno run -A bench/fanout.ts --out FILE [--clients 500,2000] [--servers am,ngircd,inspircd]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type FanoutParams, type FanoutResult, runFanout } from "./fanout_run.ts";
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

/** Default plans: 10 senders; ~100k deliveries/s fixed load in both rooms. */
export const PLANS: Record<number, RoomPlan> = {
  500: {
    clients: 500,
    fixedRate: 200,
    ladder: [400, 800, 1600, 3200],
    repeats: 3,
    readPeriodMs: 5,
  },
  // Joining 2000 IRC clients takes ngircd ~25 s (every JOIN goes to every member), so
  // the big room gets the fixed load three times and one step up, not a full ladder.
  2000: { clients: 2000, fixedRate: 50, ladder: [100], repeats: 3, readPeriodMs: 10 },
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
    `${r.verified ? ` verified=${r.verified}/${r.verified + r.verifyFailed}` : ""}` +
    `${r.lostClients ? ` lost=${r.lostClients}` : ""}${r.sustained ? " ok" : " MISS"}`;
}

/** One tagged run: which phase of the plan it belongs to. */
export interface TaggedRun extends FanoutResult {
  phase: "fixed" | "ladder" | "knee";
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
  const first = await run(plan.fixedRate, "fixed");
  let best = plan.fixedRate;
  if (first.sustained) {
    for (const rate of plan.ladder) {
      if (!(await run(rate, "ladder")).sustained) break;
      best = rate;
    }
  }
  for (let i = 0; i < plan.repeats; i++) await run(best, "knee");
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
    },
  });
  const dir = Deno.makeTempDirSync({ prefix: "am-bench-" });
  const all: TaggedRun[] = [];
  // Written after every plan, so a run cut short by its time limit keeps what it had.
  const save = () => Deno.writeTextFileSync(values.out!, JSON.stringify(all, null, 1));
  for (const clients of values.clients!.split(",").map(Number)) {
    const plan = { ...(PLANS[clients] ?? { ...PLANS[500], clients }) };
    if (values.repeats) plan.repeats = Number(values.repeats);
    for (const server of values.servers!.split(",") as ServerKind[]) {
      all.push(
        ...await runPlan(server, plan, {
          senders: Number(values.senders),
          warmupMs: 500,
          measureMs: Number(values["measure-ms"]),
          drainMs: 2000,
          verifiers: 2,
          serverCore: 0,
          dir,
        }),
      );
      save();
    }
  }
  Deno.removeSync(dir, { recursive: true });
}
