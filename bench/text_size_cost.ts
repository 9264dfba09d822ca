/**
 * What member identities cost the relay's text fan-out. A text sealed with
 * member identities (lib/e2e/envelope.ts) carries a 24-byte clear header and a
 * 64-byte Ed25519 signature where the generator's per-session envelope
 * (bench/legacy_envelope.ts) carries 34 bytes of header; the relay forwards
 * both without opening them. This runs the same fixed text load with deliveries
 * of 100 bytes (the generator's size for every server) and of the size the same
 * text has with identities, alternating, each in its own generator process (the
 * size is fixed when the generator loads), and prints the relay's CPU per
 * delivery for each.
 *
 * `deno run -A bench/text_size_cost.ts [--clients 200] [--rate 500] [--runs 3]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { TEXT_HEADER_BYTES } from "../lib/e2e/envelope.ts";
import { SIGNATURE_BYTES } from "../lib/e2e/identity.ts";
import { TEXT_HEADER_BYTES as LEGACY_TEXT_HEADER_BYTES } from "./legacy_envelope.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "200" },
    rate: { type: "string", default: "500" },
    runs: { type: "string", default: "3" },
    one: { type: "boolean", default: false },
  },
});
const clients = Number(values.clients);
const rate = Number(values.rate);

if (values.one) {
  // Child: one run at the size in AM_BENCH_DELIVERED_BYTES; prints one JSON line.
  const { fixedTextLoad } = await import("./fanout_params.ts");
  const { runFanout } = await import("./fanout_run.ts");
  const dir = await Deno.makeTempDir({ prefix: "am-bench-size-" });
  try {
    const r = await runFanout(fixedTextLoad(clients, rate, dir));
    console.log(JSON.stringify(r));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
} else {
  // Both end in a 16-byte GCM tag; the difference is header and signature.
  const sizes = [100, 100 - LEGACY_TEXT_HEADER_BYTES + TEXT_HEADER_BYTES + SIGNATURE_BYTES];
  const rows: Record<number, { cpuUs: number[]; p50: number[]; delivered: number[] }> = {};
  for (let run = 0; run < Number(values.runs); run++) {
    for (const size of sizes) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--one",
          "--clients",
          String(clients),
          "--rate",
          String(rate),
        ],
        env: { AM_BENCH_DELIVERED_BYTES: String(size) },
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
      const row = rows[size] ??= { cpuUs: [], p50: [], delivered: [] };
      row.cpuUs.push((r.serverCpuSec / (r.deliveriesPerSec * 3)) * 1e6);
      row.p50.push(r.p50Ms);
      row.delivered.push(r.deliveredFraction * 100);
    }
  }
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(
    `| text fan-out, ${clients} clients, 10 senders, ${rate} msg/s, 3 s, ${values.runs} runs | ` +
      "bytes per delivery | relay CPU µs per delivery (runs) | p50 ms (runs) | delivered |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const size of sizes) {
    const r = rows[size];
    const f = (xs: number[], d: number) => xs.map((x) => x.toFixed(d)).join(", ");
    console.log(
      `| ${
        size === 100 ? "per-session envelope size" : "member-identity envelope size"
      } | ${size} | ` +
        `${f(r.cpuUs, 2)} | ${f(r.p50, 1)} | ${f(r.delivered, 2)} % |`,
    );
  }
  console.log(`load average after: ${load}`);
}
