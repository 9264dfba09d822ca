import assert from "node:assert/strict";
import {
  alignedCorrelation,
  correlationAtLag,
  dbfs,
  findOnsets,
  rms,
  windowedCorrelation,
} from "../../audio/analysis.ts";

function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    out[i] = (seed / 2 ** 32 - 0.5) * 20000;
  }
  return out;
}

Deno.test("rms of a sine is amplitude / sqrt 2; of silence 0", () => {
  const s = new Float32Array(48000).map((_, i) => 1000 * Math.sin((2 * Math.PI * 100 * i) / 48000));
  assert.ok(Math.abs(rms(s) - 1000 / Math.SQRT2) < 0.5);
  assert.equal(rms(new Int16Array(10)), 0);
  assert.equal(rms([]), 0);
  assert.ok(Math.abs(dbfs(32768)) < 1e-9);
  assert.ok(Math.abs(dbfs(3276.8) + 20) < 1e-9);
});

Deno.test("alignedCorrelation finds a positive delay and scores the match", () => {
  const ref = noise(20000, 1);
  const rec = new Float32Array(22000);
  rec.set(ref, 1234);
  const extra = noise(22000, 2);
  for (let i = 0; i < rec.length; i++) rec[i] = 0.9 * rec[i] + 0.1 * extra[i];
  const a = alignedCorrelation(ref, rec, 3000);
  assert.equal(a.lag, 1234);
  assert.ok(a.correlation > 0.98, `correlation ${a.correlation}`);
});

Deno.test("alignedCorrelation finds a negative lag and respects the lag limit", () => {
  const ref = noise(10000, 3);
  const rec = ref.slice(500); // recording starts 500 samples into the reference
  const a = alignedCorrelation(ref, rec, 1000);
  assert.equal(a.lag, -500);
  assert.ok(Math.abs(a.correlation - 1) < 1e-9);
  const limited = alignedCorrelation(ref, rec, 100);
  assert.ok(Math.abs(limited.lag) <= 100);
  assert.ok(limited.correlation < 0.2);
});

Deno.test("alignedCorrelation handles Int16 input, inversion and 10 s at 48 kHz", () => {
  const ref = Int16Array.from(noise(480000, 4));
  const rec = new Int16Array(480000);
  for (let i = 0; i + 4800 < rec.length; i++) rec[i + 4800] = -ref[i] >> 1;
  const a = alignedCorrelation(ref, rec, 48000);
  // Inverted: the best positive match is elsewhere and weak.
  assert.ok(a.correlation < 0.1);
  assert.ok(correlationAtLag(ref, rec, 4800) < -0.99);
  const same = alignedCorrelation(ref, Int16Array.from(rec, (v) => -v), 48000);
  assert.equal(same.lag, 4800);
  assert.ok(same.correlation > 0.99);
});

Deno.test("findOnsets reports the start of each tone burst", () => {
  const s = new Int16Array(48000);
  const starts = [1000, 10000, 25000, 40000];
  for (const st of starts) {
    for (let i = 0; i < 2400; i++) {
      s[st + i] = Math.round(8000 * Math.cos((2 * Math.PI * 1000 * i) / 48000));
    }
  }
  assert.deepEqual(findOnsets(s, 4000), starts);
  // Zero crossings inside a burst do not count as new onsets.
  assert.deepEqual(findOnsets(s, 4000, { minGapSamples: 100 }), starts);
  // A tiny gap setting splits a burst at its troughs.
  assert.ok(findOnsets(s, 4000, { minGapSamples: 1 }).length > starts.length);
  assert.deepEqual(findOnsets(new Int16Array(100), 1), []);
});

Deno.test("windowedCorrelation follows a timeline that shifts, and still rejects other sound", () => {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  const source = Int16Array.from({ length: 96000 }, () => Math.round(rand() * 20000));
  // The recording starts 0.1 s late and skips 20 ms halfway through.
  const recording = new Int16Array(4800 + source.length);
  recording.set(source.subarray(0, 48000), 4800);
  recording.set(source.subarray(48960), 4800 + 48000);
  const global = alignedCorrelation(source, recording, recording.length);
  const windowed = windowedCorrelation(source, recording);
  assert.ok(global.correlation < 0.6, `one global lag fits only half: ${global.correlation}`);
  assert.ok(windowed.correlation > 0.9, `windowed ${windowed.correlation}`);
  const other = Int16Array.from({ length: recording.length }, () => Math.round(rand() * 20000));
  assert.ok(windowedCorrelation(source, other).correlation < 0.2);
});

Deno.test("alignedCorrelation finds a short reference late in a long recording", () => {
  // 3 s of reference at 11 s into a 15 s recording (a listener that started recording
  // long before the talk): a lag this large once aliased to a negative one in the
  // circular cross-correlation, where nothing overlaps, and scored 0.
  const rate = 48000;
  const ref = noise(3 * rate, 7);
  const rec = new Float32Array(15 * rate);
  const at = 11 * rate + 123;
  rec.set(ref, at);
  const { correlation, lag } = alignedCorrelation(ref, rec, rec.length);
  assert.equal(lag, at);
  assert.ok(correlation > 0.99, `correlation ${correlation}`);
  assert.ok(windowedCorrelation(ref, rec).correlation > 0.99);
});
