import assert from "node:assert/strict";
import { DepthWatch } from "../../audio/depth_watch.ts";

const calm = { jitterMs: 2, calmPackets: 1_000 };

Deno.test("depth watch: half a second above target + 1 is a surplus without tick times", () => {
  const w = new DepthWatch();
  for (let i = 0; i < 24; i++) w.tick(5, 2);
  assert.equal(w.surplus(calm), false);
  w.tick(5, 2);
  assert.equal(w.surplus(calm), true);
  w.tick(3, 2);
  assert.equal(w.surplus(calm), false, "one tick at target + 1 starts the count again");
});

Deno.test("depth watch: 10 s of slack beyond a frame plus twice the jitter is a surplus", () => {
  const w = new DepthWatch();
  for (let i = 0; i < 500; i++) w.played(i * 20 + 30, i * 20);
  assert.equal(w.surplus(calm), true, "every frame waited 30 ms > 20 + 2 × 2");
  assert.equal(w.surplus({ jitterMs: 6, calmPackets: 1_000 }), false, "30 < 20 + 2 × 6");
  w.played(499 * 20 + 30, 499 * 20 + 25); // a second pop in the tick skips a frame
  assert.equal(w.surplus(calm), false, "every frame now waits 20 ms less");
  w.forgetSlack();
  assert.equal(w.surplus(calm), false);
});

Deno.test("depth watch: a frame with less slack than the jitter is a deficit until held", () => {
  const w = new DepthWatch();
  for (let i = 0; i < 25; i++) w.played(i * 20 + 30, i * 20);
  assert.equal(w.deficit(10), false);
  w.played(25 * 20 + 3, 25 * 20);
  assert.equal(w.deficit(10), true, "3 ms of slack < 10 ms of jitter");
  w.held();
  assert.equal(w.deficit(10), false, "a tick of silence gave every frame 20 ms more");
});

Deno.test("depth watch: after 2 s of slack, what exceeds 2 × jitter + 10 ms may be trimmed", () => {
  const w = new DepthWatch();
  for (let i = 0; i < 99; i++) w.played(i * 20 + 30, i * 20);
  assert.equal(w.trim(calm), 0, "fewer than 2 s of slack");
  w.played(99 * 20 + 30, 99 * 20);
  assert.equal(w.trim(calm), 16, "30 − 2 × 2 − 10");
  assert.equal(w.trim({ jitterMs: 2, calmPackets: 99 }), 0, "the path was not calm for 2 s");
  w.trimmed(16);
  assert.equal(w.trim(calm), 0, "every frame now waits 16 ms less");
});

Deno.test("depth watch: a trim is bounded by the least slack kept, and by a frame", () => {
  const w = new DepthWatch();
  w.played(0, -15); // one frame 3 s back waited only 15 ms
  for (let i = 1; i < 200; i++) w.played(i * 20, i * 20 - 60);
  assert.equal(w.trim(calm), 0, "15 − 4 − 10 = 1 ms is not worth a cut");
  const v = new DepthWatch();
  for (let i = 0; i < 200; i++) v.played(i * 20 + 60, i * 20);
  assert.equal(v.trim(calm), 19, "never a whole frame at once");
});

Deno.test("depth watch: after the player stalls, its slack starts afresh and is trimmed", () => {
  const w = new DepthWatch();
  for (let i = 0; i < 200; i++) w.played(i * 20 + 20, i * 20 + 5); // 15 ms of slack
  assert.equal(w.trim(calm), 0, "15 − 4 − 10 = 1 ms: nothing to trim");
  // The player's tick comes 120 ms late: every frame from now on waits 120 ms more.
  for (let i = 200; i < 299; i++) w.played(i * 20 + 140, i * 20 + 5);
  assert.equal(w.trim(calm), 0, "fewer than 2 s of slack since the stall");
  w.played(299 * 20 + 140, 299 * 20 + 5);
  assert.equal(
    w.trim(calm),
    19,
    "the stall's added wait is given back, a frame less 1 ms at a time",
  );
});
