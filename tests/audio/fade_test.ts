import assert from "node:assert/strict";
import { FRAME_SAMPLES, SAMPLE_RATE } from "../../audio/audio_io.ts";
import {
  DEFAULT_FADE_SAMPLES,
  fadeGain,
  fadeIn,
  fadeInPlace,
  fadeOut,
  fadeOutPlace,
} from "../../audio/fade.ts";

/** A full-scale 440 Hz sine starting at its peak: the worst case for a click. */
function fullScaleSine(phase = Math.PI / 2): Int16Array {
  const f = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < f.length; i++) {
    f[i] = Math.round(32767 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE + phase));
  }
  return f;
}

function maxStep(samples: ArrayLike<number>): number {
  let m = 0;
  for (let i = 1; i < samples.length; i++) m = Math.max(m, Math.abs(samples[i] - samples[i - 1]));
  return m;
}

/** Samples of silence, then `frame`, then silence: a talk as the listener hears it. */
function inSilence(frame: Int16Array): number[] {
  return [0, 0, 0, ...frame, 0, 0, 0];
}

Deno.test("default fade is 5 ms", () => {
  assert.equal(DEFAULT_FADE_SAMPLES, 240);
});

for (const shape of ["cosine", "linear"] as const) {
  Deno.test(`${shape} fades leave no step larger than the signal's own (talk start and end)`, () => {
    const sine = fullScaleSine();
    const ownStep = maxStep(sine);
    // Without fades, starting at the peak jumps by the full scale.
    assert.ok(maxStep(inSilence(sine)) > 30000);
    const atStart = [0, 0, ...fadeIn(sine, { shape })];
    assert.ok(maxStep(atStart) <= ownStep, `start step ${maxStep(atStart)} > ${ownStep}`);
    const endPhase = fullScaleSine(Math.PI / 2 - (2 * Math.PI * 440 * 959) / SAMPLE_RATE);
    assert.equal(endPhase[959], 32767); // ends at its peak
    const atEnd = [...fadeOut(endPhase, { shape }), 0, 0];
    assert.ok(maxStep(atEnd) <= ownStep, `end step ${maxStep(atEnd)} > ${ownStep}`);
  });
}

Deno.test("fade touches only the ramp and ends near zero", () => {
  const sine = fullScaleSine();
  const a = fadeIn(sine);
  assert.deepEqual(a.subarray(240), sine.subarray(240));
  assert.ok(Math.abs(a[0]) <= 1);
  assert.ok(Math.abs(a[120]) < Math.abs(sine[120]));
  const b = fadeOut(sine);
  assert.deepEqual(b.subarray(0, 720), sine.subarray(0, 720));
  assert.ok(Math.abs(b[959]) <= 1);
});

Deno.test("copying variants leave input alone; in-place variants change it", () => {
  const sine = fullScaleSine();
  const before = sine.slice();
  fadeIn(sine);
  fadeOut(sine);
  assert.deepEqual(sine, before);
  assert.equal(fadeInPlace(sine), sine);
  assert.notDeepEqual(sine, before);
  const other = before.slice();
  assert.equal(fadeOutPlace(other, { samples: 480 }), other);
  assert.deepEqual(other.subarray(0, 480), before.subarray(0, 480));
  assert.notDeepEqual(other.subarray(480), before.subarray(480));
});

Deno.test("fade gain is monotonic, inside (0, 1), and 1 after the ramp", () => {
  for (const shape of ["cosine", "linear"] as const) {
    let prev = 0;
    for (let i = 0; i < 240; i++) {
      const g = fadeGain(i, 240, shape);
      assert.ok(g > prev && g < 1, `${shape} gain at ${i}: ${g}`);
      prev = g;
    }
    assert.equal(fadeGain(240, 240, shape), 1);
  }
  assert.throws(() => fadeIn(new Int16Array(10), { samples: -1 }), RangeError);
});
