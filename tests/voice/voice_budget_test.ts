// The latency benchmark's arithmetic (bench/voice_budget.ts, bench/jitter_replay.ts)
// on made-up traces whose stages are known.
import assert from "node:assert/strict";
import {
  burstBudgets,
  captureLateness,
  concealedFrames,
  type TraceEvent,
} from "../../bench/voice_budget.ts";
import { replay } from "../../bench/jitter_replay.ts";

Deno.test("burst budget: each stage from the talker's and listener's trace lines", () => {
  const talker: TraceEvent[] = [];
  for (let seq = 100; seq < 110; seq++) {
    // Burst onset 480 samples into frame 104; read 2 ms late every other frame.
    const t = 1000 + seq * 20 + (seq % 2) * 2;
    talker.push({ s: "cap", seq, t, tx: t + 1.5, on: seq === 104 ? 480 : -1 });
  }
  // Opus moved the onset by 312 samples: 792 into the same frame.
  const listener: TraceEvent[] = [
    { s: "play", seq: 104, arr: 3081.5, pop: 3095, w: 3095.2, q: 12, on: 792, target: 1 },
    { s: "play", seq: 105, arr: 3103.5, pop: 3115, w: 3115.1, q: 12, on: 0, target: 1 },
    { s: "stats", concealed: 3, skipped: 0 },
  ];
  const [b, ...rest] = burstBudgets(talker, listener);
  assert.equal(rest.length, 0, "the frame continuing a burst is not a second burst");
  assert.equal(b.codec, 6.5);
  assert.equal(b.encode, 1.5);
  assert.equal(b.network, 3081.5 - 3081.5);
  assert.equal(b.jitter, 13.5);
  assert.ok(Math.abs(b.tick - 0.2) < 1e-9);
  assert.equal(b.cushion, 12);
  assert.equal(concealedFrames(listener), 3);
  const late = captureLateness(talker);
  assert.deepEqual([...new Set(late)].sort(), [0, 2]);
});

Deno.test("jitter replay: tick times play a calm path with less delay, concealing nothing", () => {
  const arrivals = new Map<number, number>();
  for (let s = 0; s < 1500; s++) arrivals.set(s, s * 20 + ((s * 7919) % 101) / 50);
  const frames = replay(arrivals, "frames", 5);
  const timed = replay(arrivals, "tick times", 5);
  assert.equal(frames.concealed, 0);
  assert.equal(timed.concealed, 0);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const settled = (xs: number[]) => mean(xs.slice(500));
  assert.ok(
    settled(timed.waits) + 10 < settled(frames.waits),
    `waits ${settled(timed.waits)} against ${settled(frames.waits)} ms`,
  );
});

Deno.test("jitter replay: trims bring a calm path's ticks just after the arrivals", () => {
  const arrivals = new Map<number, number>();
  for (let s = 0; s < 1500; s++) arrivals.set(s, s * 20 + ((s * 7919) % 101) / 50);
  // Ticks 19 ms past the arrivals: without trims each frame waits ~17–19 ms more.
  const timed = replay(arrivals, "tick times", 19);
  const trimmed = replay(arrivals, "trim", 19);
  assert.equal(trimmed.concealed, 0);
  assert.ok(trimmed.trims >= 1 && trimmed.trimmedMs > 0);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const settled = (xs: number[]) => mean(xs.slice(-500));
  assert.ok(
    settled(trimmed.waits) + 3 < settled(timed.waits),
    `waits ${settled(trimmed.waits)} against ${settled(timed.waits)} ms`,
  );
});
