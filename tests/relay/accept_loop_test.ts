import assert from "node:assert/strict";
import { ACCEPT_RETRY_MS, acceptLoop, outOfDescriptors } from "../../lib/relay/accept_loop.ts";

/** A listener whose first iterations fail with `errors`, then yields `conns` and ends. */
function listener(errors: unknown[], conns: string[]): AsyncIterable<string> {
  return {
    async *[Symbol.asyncIterator]() {
      const err = errors.shift();
      if (err !== undefined) throw err;
      for (const c of conns) yield await Promise.resolve(c);
    },
  };
}

/** Deno's error for an accept with no descriptor left. */
const emfile = Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" });

Deno.test("out of descriptors, the accept loop pauses and accepts again; it reports once", async () => {
  const accepted: string[] = [];
  const slept: number[] = [];
  let paused = 0;
  await acceptLoop(listener([emfile, emfile], ["a", "b", "c"]), {
    accept: (c) => accepted.push(c),
    stopping: () => false,
    paused: () => paused++,
    sleep: (ms) => (slept.push(ms), Promise.resolve()),
  });
  assert.deepEqual(accepted, ["a", "b", "c"]);
  assert.deepEqual(slept, [ACCEPT_RETRY_MS, ACCEPT_RETRY_MS]);
  assert.equal(paused, 1, "one report for the pauses of ten seconds");
});

Deno.test("the accept loop rethrows other errors, and ends quietly in a shutdown", async () => {
  const host = { accept: () => {}, stopping: () => false, paused: () => {} };
  const broken = Object.assign(new Error("boom"), { code: "EINVAL" });
  await assert.rejects(acceptLoop(listener([broken], []), host), /boom/);
  // The listener closed by a shutdown throws too: the loop ends without it.
  let asked = 0;
  await acceptLoop(listener([broken], []), { ...host, stopping: () => asked++ > 0 });
  let stopping = false;
  await acceptLoop(listener([emfile], []), {
    ...host,
    sleep: () => (stopping = true, Promise.resolve()),
    stopping: () => stopping,
  });
  assert.ok(outOfDescriptors({ code: "ENFILE" }));
  assert.ok(!outOfDescriptors(new Error("no code")));
  assert.ok(!outOfDescriptors(null));
});
