// A few seconds of protocol fuzzing in the suite (bench/fuzz_long.ts runs the
// long version): mutated frames from several hostile connections against a real
// relay process while honest clients chat. The relay must stay up and no honest
// message may be lost, duplicated or reordered.
import assert from "node:assert/strict";
import { runFuzz } from "../bench/fuzz_long.ts";

for (const tls of [true, false]) {
  Deno.test(
    `fuzz${
      tls ? " over TLS (and garbage before handshakes)" : " over plain TCP"
    }: mutated frames from 4 hostile connections; relay alive, no honest message lost`,
    { sanitizeOps: false, sanitizeResources: false },
    async () => {
      const seed = Number(Deno.env.get("FUZZ_SEED") ?? (Date.now() & 0x7fffffff));
      const r = await runFuzz({
        targetFrames: 0,
        minMs: 4000,
        maxMs: 4000,
        hostile: 4,
        honest: 2,
        honestRate: 5,
        seed,
        tls,
      });
      console.log(
        `  seed ${seed}: ${r.framesSent} frames over ${r.connections} hostile connections in ${r.ms} ms; ` +
          `${r.honestSent} honest lines, ${r.honestLost} lost, ${r.relayCrashes} crashes`,
      );
      assert.equal(r.relayCrashes, 0, `relay crashed (seed ${seed})`);
      assert.ok(r.relayServesAfter, "the relay serves a newcomer afterwards");
      assert.ok(r.framesSent > 1000, `the fuzzer got frames through: ${r.framesSent}`);
      assert.ok(r.connections > 4, "the relay closed and the fuzzer reopened connections");
      assert.ok(r.honestSent >= 20, `honest clients chatted: ${r.honestSent}`);
      assert.equal(r.honestLost, 0, `honest messages lost (seed ${seed})`);
      assert.equal(r.honestDuplicated, 0, "no honest message shown twice");
      assert.equal(r.honestReordered, 0, "each sender's order kept");
      assert.equal(r.honestDisconnects, 0, "honest clients were never disconnected");
    },
  );
}
