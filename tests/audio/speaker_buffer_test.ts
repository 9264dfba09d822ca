import assert from "node:assert/strict";
import { SpeakerBufferPolicy } from "../../audio/speaker_buffer.ts";

/** Writes `n` frames 20 ms apart from `fromMs`; returns the sizes asked for. */
function write(p: SpeakerBufferPolicy, fromMs: number, n: number, quiet: boolean) {
  const asked: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = p.wrote(fromMs + i * 20, quiet);
    if (size !== null) asked.push(size);
  }
  return asked;
}

Deno.test("stalls grow the speaker buffer: 40, 80, 100 ms, then no further", () => {
  const p = new SpeakerBufferPolicy({ lowS: 0.01, maxS: 0.1 });
  assert.equal(p.grown, false);
  assert.equal(p.stalled(0), 0.04);
  assert.equal(p.stalled(100), 0.08);
  assert.equal(p.stalled(200), 0.1);
  assert.equal(p.stalled(300), null);
  assert.equal(p.sizeS, 0.1);
});

Deno.test("after a calm period a grown buffer shrinks back, a step at a time, while quiet", () => {
  const p = new SpeakerBufferPolicy({ lowS: 0.01, maxS: 0.1, calmS: 10 });
  p.stalled(0);
  p.stalled(20);
  p.stalled(40);
  // Quiet but not calm for long enough: kept.
  assert.deepEqual(write(p, 60, 400, true), []);
  // 10 s after the last stall: down to 50 ms; 10 s later back to the low latency.
  assert.deepEqual(write(p, 8060, 200, true), [0.05]);
  assert.equal(p.sizeS, 0.05);
  assert.deepEqual(write(p, 20100, 1, true), [0.01]);
  assert.equal(p.grown, false);
  // At the bottom it stays.
  assert.deepEqual(write(p, 40000, 100, true), []);
});

Deno.test("a grown buffer never shrinks under sound, nor when a stall breaks the calm", () => {
  const p = new SpeakerBufferPolicy({ lowS: 0.01, maxS: 0.1, calmS: 10 });
  p.stalled(0);
  // Calm long enough, but the audio is loud throughout.
  assert.deepEqual(write(p, 11000, 100, false), []);
  // Quiet for fewer frames than the buffer holds, then loud again: still kept.
  assert.deepEqual(write(p, 13000, 2, true), []);
  assert.deepEqual(write(p, 13040, 1, false), []);
  // A new stall (to 80 ms) restarts the calm period.
  p.stalled(14000);
  assert.deepEqual(write(p, 14020, 400, true), []);
  assert.deepEqual(write(p, 24020, 10, true), [0.04]);
});

Deno.test("a stall inside silence does not grow the buffer; one next to sound does", () => {
  const p = new SpeakerBufferPolicy({ lowS: 0.015, maxS: 0.1 });
  // A stall before anything was written: the device had held only silence.
  assert.equal(p.stalled(0, true), null, "a device just opened held nothing to hear");
  // Silence written for a while (a listener starting up), then a stall, then silence.
  assert.deepEqual(write(p, 0, 10, true), []);
  assert.equal(p.stalled(200, true), null, "the gap fell inside silence: unheard");
  assert.equal(p.grown, false);
  // The frame after the stall is sound: the gap cut into what is heard next.
  assert.equal(p.stalled(400, false), 0.04);
  // Sound before the stall (fewer quiet frames than the buffer held): grown again.
  assert.deepEqual(write(p, 420, 1, false), []);
  assert.deepEqual(write(p, 440, 2, true), []);
  assert.equal(p.stalled(500, true), 0.08, "the buffer held sound when it ran dry");
});
