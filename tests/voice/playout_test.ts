import assert from "node:assert/strict";
import { FRAME_SAMPLES, SAMPLE_RATE } from "../../audio/audio_io.ts";
import type { AudioSink } from "../../audio/audio_io.ts";
import { OpusEncoder } from "../../audio/opus_codec.ts";
import { peakLevel } from "../../audio/vad.ts";
import { silentTickCut, VoicePlayout } from "../../lib/voice/playout.ts";

/**
 * A sink that plays in real time as a device does (a write resolves once the frame's
 * length has passed) and keeps every frame. Stands in for the speaker, which the
 * voice tests drive through PulseAudio; here only the player's own logic is asked.
 */
class RecordingSink implements AudioSink {
  readonly name = "recording";
  readonly shortFrames = true;
  readonly frames: Int16Array[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  write(frame: Int16Array): Promise<void> {
    this.frames.push(frame.slice());
    this.#waiters = this.#waiters.filter((w) => {
      if (this.frames.length < w.count) return true;
      w.resolve();
      return false;
    });
    return new Promise((r) => setTimeout(r, (frame.length * 1000) / SAMPLE_RATE));
  }

  /** Resolves once `count` frames have been written. */
  written(count: number): Promise<void> {
    if (this.frames.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

Deno.test("silentTickCut: a silent tick ends when a waiting talk will be due", () => {
  assert.equal(silentTickCut(Infinity), 0, "nothing waits");
  assert.equal(silentTickCut(0), 0, "due already: this tick starts it");
  assert.equal(silentTickCut(-3), 0);
  assert.equal(silentTickCut(5), 15, "the next tick comes 5 ms from now");
  assert.equal(silentTickCut(4.5), 15, "never before the talk is due");
  assert.equal(silentTickCut(0.5), 19, "a tick is never cut whole");
  assert.equal(silentTickCut(18.5), 0, "a cut under 2 ms is not worth a cut in the audio");
  assert.equal(silentTickCut(25), 0, "due after the next tick anyway");
});

Deno.test("the player's rehearsal leaves nothing behind; a real talk then plays", async () => {
  const sink = new RecordingSink();
  const player = new VoicePlayout(sink);
  try {
    assert.deepEqual(
      [player.concealed, player.skipped, player.held, player.trims, player.trimmedMs],
      [0, 0, 0, 0, 0],
    );
    await sink.written(3);
    // Nothing of the rehearsal reaches the device: whole frames of silence.
    for (const f of sink.frames.slice(0, 3)) {
      assert.equal(f.length, FRAME_SAMPLES);
      assert.equal(peakLevel(f), 0);
    }
    const decoded: Int16Array[] = [];
    player.onDecoded = (talker, pcm) => {
      if (talker === "t1") decoded.push(pcm);
    };
    const encoder = new OpusEncoder();
    const tone = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < tone.length; i++) {
      tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE));
    }
    const before = sink.frames.length;
    for (let seq = 0; seq < 10; seq++) player.receive("t1", seq, encoder.encode(tone));
    encoder.delete();
    await sink.written(before + 14);
    assert.equal(decoded.length, 10, "every frame of the talk was played");
    assert.ok(peakLevel(decoded[5]) > 4000, "as the tone it was");
    assert.ok(
      sink.frames.slice(before).some((f) => peakLevel(f) > 4000),
      "and reached the device",
    );
  } finally {
    await player.close();
  }
});
