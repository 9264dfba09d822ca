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

Deno.test("depth watch: a skip the frame count asked for keeps only the half second that showed it", () => {
  // A talk whose first frame came 30 ms late (the talker warming up), then frames that
  // queue 3 deep against a target of 1: every tick pops a frame that waited ~75 ms.
  const w = new DepthWatch();
  const calmStart = { jitterMs: 1, calmPackets: 0 };
  w.played(0, -19); // the spurt's first frame waited 19 ms
  let t = 20;
  for (let i = 0; i < 25; i++, t += 20) {
    w.tick(3, 1);
    w.played(t, t - 75);
  }
  assert.equal(w.surplus(calmStart), true, "half a second more than a frame above target");
  w.played(t - 20, t - 20 - 55); // the second pop of that tick: a quiet frame skipped
  // 2 s of frames at the new depth, each waiting 55 ms.
  for (let i = 0; i < 100; i++, t += 20) {
    w.tick(2, 1);
    w.played(t, t - 55);
  }
  // Kept whole and moved down by the skip, the first frame's slack (−1 ms) would forbid
  // any trim; the frames after the skip waited 35–55 ms, so up to 19 ms can go.
  assert.equal(w.trim({ jitterMs: 1, calmPackets: 200 }), 19);
});

Deno.test("depth watch: a skip that slack asked for moves all the slack kept", () => {
  const w = new DepthWatch();
  for (let i = 0; i < 500; i++) w.played(i * 20, i * 20 - (i === 450 ? 25 : 45));
  assert.equal(w.surplus(calm), true, "every frame waited more than 20 + 2 × 2");
  w.played(499 * 20, 499 * 20 - 25); // the skip
  for (let i = 500; i < 540; i++) w.played(i * 20, i * 20 - 25);
  // The one frame that waited 25 ms, less the skip's 20, still bounds the trims.
  assert.equal(w.trim(calm), 0);
});

Deno.test("depth watch: a spurt's first half second counts towards a deficit, then not at all", () => {
  const w = new DepthWatch();
  w.spurtStarted();
  w.played(0, -2); // the talker's first frame came late: it waited 2 ms
  for (let i = 1; i < 25; i++) w.played(i * 20, i * 20 - 40);
  assert.equal(w.deficit(5), true, "2 ms of slack < 5 ms of jitter");
  for (let i = 25; i < 125; i++) w.played(i * 20, i * 20 - 40);
  assert.equal(w.deficit(5), false);
  // 2 s of frames that waited 40 ms after the start's 25: 40 − 2 × 1 − 10 = 28, capped at 19.
  assert.equal(w.trim({ jitterMs: 1, calmPackets: 200 }), 19);
  const v = new DepthWatch();
  v.forgetSlack(); // an underrun, not a spurt's start: every frame since counts
  v.played(0, -2);
  for (let i = 1; i < 125; i++) v.played(i * 20, i * 20 - 40);
  assert.equal(v.trim({ jitterMs: 1, calmPackets: 200 }), 0);
});
