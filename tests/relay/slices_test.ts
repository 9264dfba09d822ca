import assert from "node:assert/strict";
import { inSlices, nextTurn, SLICE } from "../../lib/relay/slices.ts";

Deno.test("inSlices: the first slice now, the rest a slice per turn, every item once in order", () => {
  const items = Array.from({ length: 2 * SLICE + 5 }, (_, i) => i);
  const seen: number[] = [];
  const later: (() => void)[] = [];
  inSlices(items, (i) => seen.push(i), (fn) => later.push(fn));
  assert.equal(seen.length, SLICE, "one slice in this turn");
  while (later.length) later.shift()!();
  assert.deepEqual(seen, items);
});

Deno.test("inSlices: a short list takes no later turn", () => {
  const seen: string[] = [];
  inSlices(["a", "b"], (x) => seen.push(x), () => assert.fail("no later turn"));
  assert.deepEqual(seen, ["a", "b"]);
});

Deno.test("nextTurn runs after I/O the event loop already has, not in this turn", async () => {
  const order: string[] = [];
  const done = Promise.withResolvers<void>();
  nextTurn(() => (order.push("next turn"), done.resolve()));
  queueMicrotask(() => order.push("microtask"));
  order.push("now");
  await done.promise;
  assert.deepEqual(order, ["now", "microtask", "next turn"]);
});
