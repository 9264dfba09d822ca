import assert from "node:assert/strict";
import { FRAME_SAMPLES } from "../../audio/audio_io.ts";
import { DEFAULT_KNEE, mixFrames, softLimit } from "../../audio/mixer.ts";

function sine(freq: number, amp: number): Int16Array {
  const f = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < f.length; i++) {
    f[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / 48000));
  }
  return f;
}

Deno.test("a single talker passes bit-exact, even at full scale", () => {
  const f = sine(440, 32767);
  f[0] = -32768;
  const out = mixFrames([f]);
  assert.deepEqual(out, f);
  assert.notEqual(out, f); // a new frame, not the caller's
});

Deno.test("quiet talkers are summed exactly", () => {
  const a = sine(300, 8000);
  const b = sine(700, 9000);
  const out = mixFrames([a, b]);
  for (let i = 0; i < out.length; i++) assert.equal(out[i], a[i] + b[i]);
});

Deno.test("two loud talkers never wrap around and keep the sum's sign and order", () => {
  const a = sine(440, 30000);
  const b = sine(440, 30000); // in phase: sums reach 60000
  const out = mixFrames([a, b]);
  for (let i = 0; i < out.length; i++) {
    const sum = a[i] + b[i];
    assert.ok(Math.abs(out[i]) <= 32767);
    assert.ok(
      Math.sign(out[i]) === Math.sign(sum) || sum === 0,
      `sample ${i}: ${sum} -> ${out[i]}`,
    );
    if (Math.abs(sum) <= DEFAULT_KNEE) assert.equal(out[i], sum);
  }
  // The limiter keeps the waveform's shape: louder sums map to louder outputs.
  const pairs = [...out].map((v, i) => [a[i] + b[i], v]).sort((p, q) => p[0] - q[0]);
  for (let i = 1; i < pairs.length; i++) assert.ok(pairs[i][1] >= pairs[i - 1][1]);
  // Three full-scale talkers still fit.
  const loud = mixFrames([sine(100, 32767), sine(100, 32767), sine(100, 32767)]);
  assert.ok(Math.max(...loud) <= 32767 && Math.min(...loud) >= -32767);
  assert.ok(Math.max(...loud) > 32000);
});

Deno.test("soft limiter is continuous at the knee and saturates below full scale", () => {
  assert.equal(softLimit(DEFAULT_KNEE), DEFAULT_KNEE);
  assert.ok(Math.abs(softLimit(DEFAULT_KNEE + 1) - (DEFAULT_KNEE + 1)) < 0.01);
  assert.ok(softLimit(1e9) <= 32767);
  assert.equal(softLimit(-40000), -softLimit(40000));
});

Deno.test("frames of different lengths; no frames gives silence", () => {
  assert.deepEqual(mixFrames([]), new Int16Array(FRAME_SAMPLES));
  const out = mixFrames([Int16Array.of(1, 2, 3), Int16Array.of(10)]);
  assert.deepEqual(out, Int16Array.of(11, 2, 3));
  assert.throws(() => mixFrames([], { knee: 40000 }), RangeError);
});
