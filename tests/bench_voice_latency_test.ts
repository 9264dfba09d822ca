// The mouth-to-ear bench's pairing of each burst's speaker copy with its microphone
// copy, on onset lists made here (sample positions at 48 kHz): the real recordings
// are taken by tests/voice/ and bench/voice_latency.ts.
import assert from "node:assert/strict";
import { pairOnsets } from "../bench/voice_latency.ts";

const MS = 48;

/** Onsets of `n` bursts 400 ms apart (plus `drift` ms each), copies `latency(i)` ms later. */
function recording(n: number, latency: (i: number) => number | null, shift = (_i: number) => 0) {
  const onsets: number[] = [];
  for (let i = 0; i < n; i++) {
    const mic = Math.round((1000 + i * 400.07 + shift(i)) * MS);
    onsets.push(mic);
    const l = latency(i);
    if (l !== null) onsets.push(mic + Math.round(l * MS));
  }
  return onsets;
}

const round = (xs: number[]) => xs.map((x) => Math.round(x));

Deno.test("every burst is paired with its copy, through the clocks' drift", () => {
  const got = pairOnsets(recording(80, (i) => 60 + (i % 5)));
  assert.equal(got.length, 80);
  assert.deepEqual(round(got).slice(0, 5), [60, 61, 62, 63, 64]);
});

Deno.test("a burst with no copy is left out, and the next ones are still paired", () => {
  const got = pairOnsets(recording(20, (i) => (i === 7 ? null : 62)));
  assert.equal(got.length, 19);
  assert.ok(got.every((l) => Math.abs(l - 62) < 0.1));
});

Deno.test("after a glitch shifts the burst grid, the bursts after it are still paired", () => {
  // From burst 10 on every onset comes 30 ms later (the sound server stalled the
  // player): followed from the old grid alone, none of bursts 10–19 would be paired.
  const got = pairOnsets(recording(20, () => 62, (i) => (i >= 10 ? 30 : 0)));
  assert.equal(got.length, 20);
  assert.ok(got.every((l) => Math.abs(l - 62) < 0.1), `latencies ${round(got)}`);
});

Deno.test("a late copy (up to 399 ms) is still a copy, not a shifted burst", () => {
  const got = pairOnsets(recording(10, (i) => (i === 4 ? 250 : 62)));
  assert.equal(got.length, 10);
  assert.equal(Math.round(got[4]), 250);
});
