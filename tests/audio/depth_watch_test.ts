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
