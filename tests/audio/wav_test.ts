import assert from "node:assert/strict";
import { FRAME_MS, FRAME_SAMPLES } from "../../audio/audio_io.ts";
import { alignedCorrelation, rms } from "../../audio/analysis.ts";
import {
  decodeWav,
  encodeWav,
  readWav,
  resample,
  WavFileWriter,
  WavFormatError,
} from "../../audio/wav.ts";
import { type Pacer, WavFileSink, WavFileSource } from "../../audio/wav_file_io.ts";

/** Builds a WAV file from per-sample byte writers, for formats we do not write. */
function craft(
  opts: {
    format: number;
    channels: number;
    rate: number;
    bits: number;
    frames: number;
    put: (view: DataView, at: number, frame: number, channel: number) => void;
    extensible?: boolean;
  },
): Uint8Array {
  const width = opts.bits / 8;
  const dataBytes = opts.frames * opts.channels * width;
  const fmtSize = opts.extensible ? 40 : 16;
  const bytes = new Uint8Array(12 + 8 + fmtSize + 8 + dataBytes);
  const v = new DataView(bytes.buffer);
  const tag = (at: number, s: string) =>
    [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  tag(0, "RIFF");
  v.setUint32(4, bytes.length - 8, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  v.setUint32(16, fmtSize, true);
  v.setUint16(20, opts.extensible ? 0xfffe : opts.format, true);
  v.setUint16(22, opts.channels, true);
  v.setUint32(24, opts.rate, true);
  v.setUint32(28, opts.rate * opts.channels * width, true);
  v.setUint16(32, opts.channels * width, true);
  v.setUint16(34, opts.bits, true);
  if (opts.extensible) v.setUint16(20 + 24, opts.format, true);
  const data = 20 + fmtSize;
  tag(data, "data");
  v.setUint32(data + 4, dataBytes, true);
  for (let f = 0; f < opts.frames; f++) {
    for (let c = 0; c < opts.channels; c++) {
      opts.put(v, data + 8 + (f * opts.channels + c) * width, f, c);
    }
  }
  return bytes;
}

const tone = (freq: number, rate: number, n: number, amp = 1, phase = 0) =>
  Float64Array.from(
    { length: n },
    (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate + phase),
  );

Deno.test("48 kHz mono 16-bit round trips bit-exact", () => {
  const s = Int16Array.from(tone(440, 48000, 4800, 30000), Math.round);
  s[0] = -32768;
  s[1] = 32767;
  const bytes = encodeWav(s);
  assert.equal(bytes.length, 44 + s.length * 2);
  const w = readWav(bytes);
  assert.deepEqual(w, { sampleRate: 48000, channels: 1, samples: s });
});

Deno.test("44.1 kHz stereo is downmixed and resampled to 48 kHz", () => {
  const n = 44100;
  const left = tone(1000, 44100, n, 0.5);
  const right = tone(1000, 44100, n, 0.3);
  const inter = new Int16Array(n * 2);
  for (let i = 0; i < n; i++) {
    inter[2 * i] = Math.round(left[i] * 32768);
    inter[2 * i + 1] = Math.round(right[i] * 32768);
  }
  const w = readWav(encodeWav(inter, 44100, 2));
  assert.equal(w.sampleRate, 44100);
  assert.equal(w.channels, 2);
  assert.equal(w.samples.length, 48000);
  const ideal = Float64Array.from(tone(1000, 48000, 48000, 0.4), (x) => x * 32768);
  // Skip the edges, where the filter sees zeros past the file.
  const mid = (a: ArrayLike<number>) => Array.prototype.slice.call(a, 1000, 47000) as number[];
  const a = alignedCorrelation(mid(ideal), mid(w.samples), 10);
  assert.equal(a.lag, 0);
  assert.ok(a.correlation > 0.9999, `correlation ${a.correlation}`);
  assert.ok(Math.abs(rms(mid(w.samples)) / rms(mid(ideal)) - 1) < 0.005);
});

Deno.test("8-bit unsigned, 24-bit, 32-bit int and 32/64-bit float inputs convert", () => {
  const n = 960;
  const want = Int16Array.from(tone(300, 48000, n, 0.5), (x) => Math.round(x * 32768));
  const cases: Array<
    [string, number, number, (v: DataView, at: number, x: number) => void, number]
  > = [
    ["8-bit", 1, 8, (v, at, x) => v.setUint8(at, Math.round(x * 128) + 128), 256],
    ["24-bit", 1, 24, (v, at, x) => {
      const i = Math.round(x * 8388608);
      v.setUint8(at, i & 0xff);
      v.setUint8(at + 1, (i >> 8) & 0xff);
      v.setInt8(at + 2, i >> 16);
    }, 1],
    ["32-bit", 1, 32, (v, at, x) => v.setInt32(at, Math.round(x * 2 ** 31), true), 1],
    ["float32", 3, 32, (v, at, x) => v.setFloat32(at, x, true), 1],
    ["float64", 3, 64, (v, at, x) => v.setFloat64(at, x, true), 1],
  ];
  const src = tone(300, 48000, n, 0.5);
  for (const [name, format, bits, put, tolerance] of cases) {
    for (const extensible of [false, true]) {
      const bytes = craft({
        format,
        channels: 1,
        rate: 48000,
        bits,
        frames: n,
        extensible,
        put: (v, at, f) => put(v, at, src[f]),
      });
      const got = readWav(bytes).samples;
      assert.equal(got.length, n, name);
      for (let i = 0; i < n; i++) {
        assert.ok(
          Math.abs(got[i] - want[i]) <= tolerance,
          `${name} sample ${i}: ${got[i]} vs ${want[i]}`,
        );
      }
    }
  }
  // Downmix averages the channels.
  const stereo = craft({
    format: 1,
    channels: 3,
    rate: 48000,
    bits: 16,
    frames: 4,
    put: (v, at, _f, c) => v.setInt16(at, [1000, 3000, -1000][c], true),
  });
  assert.deepEqual(readWav(stereo).samples, Int16Array.of(1000, 1000, 1000, 1000));
});

Deno.test("8 kHz speech-band input is upsampled and downsampling does not alias", () => {
  const up = readWav(encodeWav(Int16Array.from(tone(1000, 8000, 8000, 16000), Math.round), 8000));
  assert.equal(up.samples.length, 48000);
  const ideal = tone(1000, 48000, 48000, 16000);
  const a = alignedCorrelation(ideal.subarray(2000, 46000), up.samples.subarray(2000, 46000), 10);
  assert.equal(a.lag, 0);
  assert.ok(a.correlation > 0.999);
  // 30 kHz at 96 kHz is above the 24 kHz Nyquist of the output: it must vanish, not fold to 18 kHz.
  const high = resample(Float32Array.from(tone(30000, 96000, 96000, 0.5)), 96000, 48000);
  const pass = resample(Float32Array.from(tone(1000, 96000, 96000, 0.5)), 96000, 48000);
  assert.equal(high.length, 48000);
  const inner = (x: Float32Array) => x.subarray(1000, 47000);
  assert.ok(20 * Math.log10(rms(inner(high)) / rms(inner(pass))) < -60);
  assert.ok(Math.abs(rms(inner(pass)) - 0.5 / Math.SQRT2) < 0.005);
});

Deno.test("malformed or unsupported files raise WavFormatError", () => {
  assert.throws(() => readWav(new TextEncoder().encode("not a wave file at all")), WavFormatError);
  const twelveBit = craft({
    format: 1,
    channels: 1,
    rate: 48000,
    bits: 12,
    frames: 0,
    put: () => {},
  });
  assert.throws(() => readWav(twelveBit), WavFormatError);
  const noData = encodeWav(new Int16Array(0)).slice(0, 36);
  assert.throws(() => readWav(noData), /no data chunk/);
});

Deno.test("a data size of 0 or beyond the file means 'until the end' (streamed, killed writer)", () => {
  const s = Int16Array.of(1, 2, 3, 4);
  for (const size of [0, 0xffffffff]) {
    const bytes = encodeWav(s);
    new DataView(bytes.buffer).setUint32(40, size, true);
    assert.deepEqual(readWav(bytes).samples, s);
  }
  assert.equal(decodeWav(encodeWav(s)).mono.length, 4);
});

Deno.test("WavFileWriter keeps a valid file after every write and on close", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.wav`;
    const w = await WavFileWriter.create(path);
    assert.equal(readWav(await Deno.readFile(path)).samples.length, 0);
    const all: number[] = [];
    for (let k = 1; k <= 3; k++) {
      const chunk = Int16Array.from({ length: 100 * k }, (_, i) => i * k - 50);
      await w.write(chunk);
      all.push(...chunk);
      const onDisk = readWav(await Deno.readFile(path));
      assert.deepEqual(onDisk.samples, Int16Array.from(all));
    }
    await Promise.all([w.write(Int16Array.of(7)), w.write(Int16Array.of(8))]);
    await w.close();
    await w.close();
    assert.deepEqual(readWav(await Deno.readFile(path)).samples, Int16Array.from([...all, 7, 8]));
    assert.equal(w.samplesWritten, all.length + 2);
    await assert.rejects(() => w.write(Int16Array.of(1)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a WAV being written is valid even when its process is killed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/killed.wav`;
    const script = `import { WavFileWriter } from ${
      JSON.stringify(new URL("../../audio/wav.ts", import.meta.url).href)
    };
      const w = await WavFileWriter.create(${JSON.stringify(path)});
      for (let k = 0; ; k++) { await w.write(new Int16Array(960).fill(k % 1000)); if (k === 5) console.log("go"); }`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "go": several writes done, many more in flight
    await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    const bytes = await Deno.readFile(path);
    const header = new DataView(bytes.buffer).getUint32(40, true);
    assert.ok(
      header >= 6 * 1920 && header <= bytes.length - 44,
      `data ${header} of ${bytes.length}`,
    );
    assert.equal(new DataView(bytes.buffer).getUint32(4, true), header + 36);
    const samples = readWav(bytes).samples;
    assert.equal(samples.length, header / 2);
    for (let k = 0; k < samples.length / 960; k++) assert.equal(samples[k * 960 + 959], k % 1000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WavFileSource plays the file in real time, then silence; start rewinds", async () => {
  const samples = Int16Array.from({ length: FRAME_SAMPLES * 5 + 10 }, (_, i) => 1 + (i % 1000));
  const src = new WavFileSource("test", samples);
  await assert.rejects(() => src.read());
  await src.start();
  const t0 = performance.now();
  const frames: Int16Array[] = [];
  for (let k = 0; k < 10; k++) frames.push(await src.read());
  const elapsed = performance.now() - t0;
  // Frame 9 is due 180 ms after start; generous upper bound for a busy machine.
  assert.ok(elapsed >= 9 * FRAME_MS - 2 && elapsed < 600, `10 frames took ${elapsed} ms`);
  assert.deepEqual(frames[0], samples.subarray(0, FRAME_SAMPLES));
  assert.deepEqual(frames[5].subarray(0, 10), samples.subarray(5 * FRAME_SAMPLES));
  assert.equal(rms(frames[5].subarray(10)), 0);
  assert.equal(rms(frames[9]), 0);
  assert.ok(src.finished);
  await src.start();
  assert.deepEqual(await src.read(), frames[0]);
  await src.close();
});

Deno.test("WavFileSource opens real files of any format", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/in.wav`;
    await Deno.writeFile(
      path,
      encodeWav(Int16Array.from(tone(500, 24000, 2400, 9000), Math.round), 24000),
    );
    const src = await WavFileSource.open(path);
    assert.equal(src.samples.length, 4800);
    assert.equal(src.frameCount, 5);
    assert.equal(src.name, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WavFileSink paces writes and fills stalls with silence to match wall time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/spk.wav`;
    // A clock of its own: the sink's arithmetic is under test, not how late this
    // machine's timers fire (on a busy one, more than a frame late).
    let now = 1000;
    const clock: Pacer = {
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    };
    const sink = await WavFileSink.create(path, clock);
    const start = now;
    const loud = new Int16Array(FRAME_SAMPLES).fill(1000);
    for (let k = 0; k < 5; k++) await sink.write(loud);
    assert.equal(now - start, 5 * FRAME_MS, "each write waits until the next frame is due");
    // The caller stalls for 200 ms: the file must still follow wall time.
    now += 200;
    await sink.write(loud);
    await sink.close();
    const elapsed = now - start;
    const got = readWav(await Deno.readFile(path)).samples;
    const frames = got.length / FRAME_SAMPLES;
    assert.ok(Number.isInteger(frames));
    assert.equal(frames * FRAME_MS, elapsed, `${frames} frames for ${elapsed} ms`);
    const levels = Array.from(
      { length: frames },
      (_, k) => rms(got.subarray(k * FRAME_SAMPLES, (k + 1) * FRAME_SAMPLES)),
    );
    const loudAt = levels.flatMap((l, k) => (l > 0 ? [k] : []));
    // The sixth frame lands after the stall, where the clock put it: 300 ms in.
    assert.deepEqual(loudAt, [0, 1, 2, 3, 4, 15]);
    await assert.rejects(() => sink.write(loud));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
