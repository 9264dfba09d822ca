import assert from "node:assert/strict";
import { JitterEstimator } from "../../audio/jitter_estimator.ts";
import { FRAME_MS } from "../../audio/audio_io.ts";

Deno.test("jitter estimator: a steady path brings the jitter down from its first guess", () => {
  const e = new JitterEstimator();
  assert.equal(
    e.jitterMs,
    FRAME_MS / 2,
    "half a frame of jitter is assumed before any is measured",
  );
  for (let s = 0; s < 200; s++) e.observe(s, s * FRAME_MS);
  assert.ok(e.jitterMs < 1, `jitter ${e.jitterMs}`);
  assert.equal(e.spikeMs, 0);
  assert.ok(e.calmPackets > 100);
  assert.equal(e.coverMs, 2 * e.jitterMs);
});

Deno.test("jitter estimator: a stall's burst is a spike the cover holds; an underrun ends calm", () => {
  const e = new JitterEstimator();
  for (let s = 0; s < 50; s++) e.observe(s, s * FRAME_MS);
  // Packets 50..54 stalled 120 ms, then came together.
  for (let s = 50; s < 55; s++) e.observe(s, 54 * FRAME_MS + 120);
  assert.ok(e.spikeMs >= 100, `spike ${e.spikeMs}`);
  assert.equal(e.coverMs, Math.max(2 * e.jitterMs, e.spikeMs));
  assert.equal(e.calmPackets, 0);
  for (let s = 55; s < 60; s++) e.observe(s, s * FRAME_MS + 120);
  e.disturbed();
  assert.equal(e.calmPackets, 0);
});

Deno.test("jitter estimator: a pause between spurts, or an untimed packet, is not jitter", () => {
  const e = new JitterEstimator();
  for (let s = 0; s < 100; s++) e.observe(s, s * FRAME_MS);
  const before = e.jitterMs;
  e.observe(100, 99 * FRAME_MS + 2_000); // two seconds of silence, counter continued
  e.untimed();
  e.observe(101, 99 * FRAME_MS + 2_300); // taken late by a stalled caller
  e.restart();
  e.observe(102, 10_000);
  assert.equal(e.jitterMs, before);
  assert.equal(e.spikeMs, 0);
});
