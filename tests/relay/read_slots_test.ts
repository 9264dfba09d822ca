import assert from "node:assert/strict";
import { ReadSlots } from "../../lib/relay/read_slots.ts";

Deno.test("read slots: distinct, non-overlapping views of one slab until it is used up", () => {
  const slots = new ReadSlots(16, 64);
  const taken = [slots.take(), slots.take(), slots.take(), slots.take()];
  assert.equal(slots.slabs, 1);
  assert.ok(taken.every((s) => s.length === 16 && s.buffer === taken[0].buffer));
  assert.deepEqual(taken.map((s) => s.byteOffset), [0, 16, 32, 48]);
  taken[1].fill(7);
  assert.ok(taken[0].every((b) => b === 0) && taken[2].every((b) => b === 0), "no overlap");
  slots.take();
  assert.equal(slots.slabs, 2, "a fifth slot needs a second slab");
});

Deno.test("read slots: a slot given back is handed out again before any new slab", () => {
  const slots = new ReadSlots(16, 32);
  const a = slots.take();
  slots.take();
  slots.give(a);
  assert.equal(slots.take(), a);
  assert.equal(slots.slabs, 1);
  assert.equal(slots.free, 0);
});

Deno.test("read slots: a slab must hold whole slots", () => {
  assert.throws(() => new ReadSlots(48, 64), RangeError);
});
