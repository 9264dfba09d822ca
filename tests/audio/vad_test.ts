import assert from "node:assert/strict";
import { FRAME_SAMPLES } from "../../audio/audio_io.ts";
import {
  DEFAULT_VAD_HANGOVER_MS,
  DEFAULT_VAD_THRESHOLD,
  hangoverFrames,
  peakLevel,
  VoiceActivityDetector,
} from "../../audio/vad.ts";

function frameWithPeak(peak: number, samples = FRAME_SAMPLES): Int16Array {
  const f = new Int16Array(samples);
  f[samples >> 1] = peak;
  return f;
}

Deno.test("peakLevel takes the absolute maximum, including -32768", () => {
  assert.equal(peakLevel(new Int16Array(0)), 0);
  assert.equal(peakLevel(Int16Array.of(3, -700, 650)), 700);
  assert.equal(peakLevel(Int16Array.of(32767, -32768)), 32768);
});

Deno.test("defaults match the original project: 600 and 800 ms", () => {
  const vad = new VoiceActivityDetector();
  assert.equal(vad.threshold, DEFAULT_VAD_THRESHOLD);
  assert.equal(vad.threshold, 600);
  assert.equal(vad.hangoverMs, DEFAULT_VAD_HANGOVER_MS);
  assert.equal(vad.hangoverMs, 800);
  assert.equal(vad.push(frameWithPeak(599)).silent, true);
  assert.equal(vad.push(frameWithPeak(-599)).silent, true);
  assert.equal(vad.push(frameWithPeak(600)).silent, false);
  assert.equal(vad.push(frameWithPeak(-600)).silent, false);
});

Deno.test("talk ends once, after 800 ms (40 frames of 20 ms) of silence", () => {
  const vad = new VoiceActivityDetector();
  assert.equal(vad.push(frameWithPeak(5000)).ended, false);
  const ends: number[] = [];
  for (let i = 1; i <= 100; i++) if (vad.push(frameWithPeak(10)).ended) ends.push(i);
  assert.deepEqual(ends, [40]);
  assert.equal(hangoverFrames(800), 40);
});

Deno.test("a loud frame restarts the silence count", () => {
  const vad = new VoiceActivityDetector({ hangoverMs: 200 });
  for (let i = 0; i < 9; i++) assert.equal(vad.push(frameWithPeak(0)).ended, false);
  assert.equal(vad.silentMs, 180);
  vad.push(frameWithPeak(1000));
  assert.equal(vad.silentMs, 0);
  const ends: number[] = [];
  for (let i = 1; i <= 20; i++) if (vad.push(frameWithPeak(0)).ended) ends.push(i);
  assert.deepEqual(ends, [10]);
  // After a new talk spurt, the next silence ends it again.
  vad.push(frameWithPeak(2000));
  let again = 0;
  for (let i = 1; i <= 10; i++) if (vad.push(frameWithPeak(0)).ended) again = i;
  assert.equal(again, 10);
});

Deno.test("hangover is measured in ms whatever the frame length", () => {
  // 10 ms frames (480 samples): a 100 ms hangover takes 10 of them.
  const vad = new VoiceActivityDetector({ threshold: 100, hangoverMs: 100 });
  let endedAt = 0;
  for (let i = 1; i <= 30 && endedAt === 0; i++) {
    if (vad.push(frameWithPeak(50, 480)).ended) endedAt = i;
  }
  assert.equal(endedAt, 10);
});

Deno.test("reset forgets accumulated silence", () => {
  const vad = new VoiceActivityDetector({ hangoverMs: 60 });
  vad.push(frameWithPeak(0));
  vad.push(frameWithPeak(0));
  vad.reset();
  assert.equal(vad.silentMs, 0);
  assert.equal(vad.push(frameWithPeak(0)).ended, false);
  assert.equal(vad.push(frameWithPeak(0)).ended, false);
  assert.equal(vad.push(frameWithPeak(0)).ended, true);
});

Deno.test("decision reports the peak; bad settings are refused", () => {
  const vad = new VoiceActivityDetector({ threshold: 1000 });
  assert.deepEqual(vad.push(frameWithPeak(-1234)), { peak: 1234, silent: false, ended: false });
  assert.throws(() => new VoiceActivityDetector({ threshold: -1 }), RangeError);
  assert.throws(() => new VoiceActivityDetector({ hangoverMs: NaN }), RangeError);
});
