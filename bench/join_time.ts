/**
 * Join time against room size: N-1 members (hand-driven, in this process, on
 * the real end-to-end code) sit in a room; a real `am-client --json` joins and
 * the time from its welcome (`ready`) and from spawn to `keys-ready` (every
 * member's sender keys in: it can read everyone and everyone can read it) is
 * printed.
 *
 *   deno run -A bench/join_time.ts [--sizes 2,10,50,200]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ClientProcess, RelayProcess } from "../tests/support/harness.ts";
import { RawMember } from "../tests/support/raw_member.ts";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "2,10,50,200" } } });
for (const size of values.sizes.split(",").map(Number)) {
  const relay = await RelayProcess.start(["--max-per-ip", "1000"]);
  const members: RawMember[] = [];
  for (let i = 1; i < size; i++) members.push(await RawMember.join(relay.port, `m${i}`));
  const t0 = performance.now();
  const joiner = ClientProcess.start(relay.port, { nick: "joiner", args: ["--no-audio"] });
  await joiner.ready();
  const tReady = performance.now();
  await joiner.waitFor((e) => e.event === "keys-ready", "keys-ready", 60_000);
  const tKeys = performance.now();
  // Every member has the joiner's keys too.
  await Promise.all(members.map((m) => m.until(() => m.keyed("joiner") !== undefined, "joiner")));
  const tAll = performance.now();
  console.log(
    `room of ${size}: spawn→ready ${(tReady - t0).toFixed(0)} ms, ready→keys-ready ${
      (tKeys - tReady).toFixed(0)
    } ms, spawn→every member has the joiner's keys ${(tAll - t0).toFixed(0)} ms`,
  );
  await joiner.finish();
  await Promise.all(members.map((m) => m.leave()));
  await relay.stop();
}
