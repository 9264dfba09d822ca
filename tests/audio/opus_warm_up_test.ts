import assert from "node:assert/strict";
import { FRAME_SAMPLES } from "../../audio/audio_io.ts";
import { OpusDecoder, OpusEncoder } from "../../audio/opus_codec.ts";
import { WARM_UP_FRAMES, warmUpOpus } from "../../audio/opus_warm_up.ts";

Deno.test("warming the codec up leaves nothing behind and codecs made afterwards work", async () => {
  const warming = warmUpOpus();
  assert.equal(warmUpOpus(), warming, "a second call does not run it again");
  // Frame by frame, between turns of the event loop: a timer due meanwhile still fires.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  await warming;
  clearInterval(timer);
  assert.ok(ticks > 0, `the event loop ran during ${WARM_UP_FRAMES} frames of warm-up`);
  const encoder = new OpusEncoder();
  const decoder = new OpusDecoder();
  const pcm = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = Math.round(8000 * Math.sin(i / 10));
  let out: Int16Array = new Int16Array(0);
  for (let f = 0; f < 5; f++) out = decoder.decode(encoder.encode(pcm));
  encoder.delete();
  decoder.delete();
  assert.ok(Math.max(...out.map(Math.abs)) > 2000, "the tone comes through");
});
