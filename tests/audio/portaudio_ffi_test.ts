/**
 * Real-device tests of the PortAudio binding through a private PulseAudio daemon:
 * a tone played by {@linkcode PortAudioSink} is recorded by parec, speech played into
 * the "microphone" by paplay comes back through {@linkcode PortAudioSource}, latency
 * figures are printed, and failure modes (no library, daemon down, ALSA/JACK chatter)
 * are checked in subprocesses that get only the permissions am-client needs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readWav } from "../../audio/wav.ts";
import { alignedCorrelation, rms } from "../../audio/analysis.ts";
import { FRAME_SAMPLES, SAMPLE_RATE } from "../../audio/audio_io.ts";
import { PortAudioSink, PortAudioSource } from "../../audio/portaudio_io.ts";
import { raiseAudioPriority } from "../../audio/priority.ts";
import {
  FIXTURE_ALSA_CONFIG,
  makeSpeech,
  startRecording,
  synthWav,
  usePulse,
} from "../support/pulse_session.ts";

const pulse = await usePulse();
// Before PortAudio first loads in this process: its device list is fixed then.
Deno.env.set("ALSA_CONFIG_PATH", FIXTURE_ALSA_CONFIG);
globalThis.addEventListener("unload", () => pulse.stop());
// The streams below run in this process: give it the priority am-client's voice
// runs at, or a busy machine starves them in a way users' clients are not.
const refused = raiseAudioPriority();
if (refused) console.log(`audio priority not raised (${refused}): underflows are likelier`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ffiUrl = new URL("../../audio/portaudio_ffi.ts", import.meta.url).href;
const ioUrl = new URL("../../audio/portaudio_io.ts", import.meta.url).href;
const devicesUrl = new URL("../../audio/devices.ts", import.meta.url).href;

/** Runs `code` in a fresh Deno with am-client's audio permissions and `env`. */
async function runSnippet(code: string, env: Record<string, string>, clearAlsa = true) {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/snippet.ts`;
  await Deno.writeTextFile(file, code);
  const baseEnv = { ...Deno.env.toObject(), ...env };
  if (clearAlsa) delete baseEnv.ALSA_CONFIG_PATH;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-lock", "--allow-ffi", "--allow-env", "--allow-read", file],
    env: baseEnv,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function tone(hz: number, amplitude: number, frames: number): Int16Array[] {
  return Array.from({ length: frames }, (_, f) => {
    const frame = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const t = (f * FRAME_SAMPLES + i) / SAMPLE_RATE;
      frame[i] = Math.round(amplitude * Math.sin(2 * Math.PI * hz * t));
    }
    return frame;
  });
}

Deno.test("a tone written by PortAudioSink to spk is recorded from spk.monitor", async () => {
  const recording = await startRecording("spk.monitor");
  const sink = new PortAudioSink({ device: "am_spk" });
  console.log(`sink "${sink.name}" latency`, sink.latency());
  for (const frame of tone(1000, 16000, 50)) await sink.write(frame);
  await sink.close();

  // Split into 10 ms blocks; the tone's blocks have the level of a 16000-peak sine.
  const block = SAMPLE_RATE / 100;
  const loudBlocks = (rec: Int16Array) => {
    const loud: number[] = [];
    for (let b = 0; (b + 1) * block <= rec.length; b++) {
      if (rms(rec.subarray(b * block, (b + 1) * block)) > 0.9 * 16000 / Math.SQRT2) loud.push(b);
    }
    return loud;
  };
  // The sound server still holds the tone's end when close() returns: record until
  // 100 ms of silence follow the last loud block, however long the machine takes.
  await recording.until((rec) => {
    const loud = loudBlocks(rec);
    return loud.length > 0 && rec.length / block - (loud.at(-1)! + 1) >= 10;
  });
  const rec = await recording.stop();
  const loud = loudBlocks(rec);
  const gaps = loud.at(-1)! - loud[0] + 1 - loud.length;
  console.log(
    `tone blocks ${loud.length}, silent gaps inside ${gaps}, underflows ${sink.underflows}, ` +
      `stalls ${sink.stalls} (buffer now ${sink.latency().reportedMs} ms)`,
  );
  // 1000 ms of tone is 100 blocks, 99 when its edges straddle block boundaries.
  // Silence inside the tone, or an underflow PortAudio reports, means the stream
  // missed real time (a machine busier than its cores) and the sound path dropped
  // what it held; then only most of the tone is owed. Without either, all of it is.
  const starved = gaps > 0 || sink.underflows > 0;
  assert.ok(
    loud.length >= (starved ? 75 : 98),
    `expected ~100 loud 10 ms blocks of tone, got ${loud.length} ` +
      `(${gaps} silent inside, ${sink.underflows} underflows)`,
  );
  // Zero crossings between neighbouring samples of loud blocks only, so silence
  // and the partial blocks at a gap's edges count neither crossings nor time.
  const isLoud = new Set(loud);
  let crossings = 0;
  let pairs = 0;
  for (const b of loud) {
    for (let i = b * block + (isLoud.has(b - 1) ? 0 : 1); i < (b + 1) * block; i++) {
      pairs++;
      if ((rec[i - 1] < 0) !== (rec[i] < 0)) crossings++;
    }
  }
  const hz = crossings / 2 / (pairs / SAMPLE_RATE);
  assert.ok(Math.abs(hz - 1000) < 20, `expected a 1000 Hz tone, measured ${hz.toFixed(1)} Hz`);
});

Deno.test("speech played into mic by paplay is captured by PortAudioSource", async () => {
  const dir = await Deno.makeTempDir();
  const wav = await makeSpeech(dir, "Testing the audio messenger, one two three.");
  const reference = readWav(await Deno.readFile(wav)).samples;
  const source = new PortAudioSource({ device: "am_mic" });
  console.log(`source "${source.name}" latency`, source.latency());
  await source.start();
  const frames: Int16Array[] = [];
  let played = false;
  const capture = (async () => {
    // paplay returns once the server has played everything; its tail is then still
    // on the way through the capture path, so read until 300 ms of quiet follow.
    for (let quiet = 0; !played || quiet < 15;) {
      const frame = await source.read();
      frames.push(frame);
      quiet = played && rms(frame) < 100 ? quiet + 1 : 0;
    }
  })();
  const paplay = await new Deno.Command("paplay", { args: ["--device=mic", wav] }).output();
  assert.ok(paplay.success, "paplay failed");
  played = true;
  await capture;
  await source.close();
  await Deno.remove(dir, { recursive: true });

  const recording = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((f, i) => recording.set(f, i * FRAME_SAMPLES));
  const { correlation, lag } = alignedCorrelation(reference, recording, recording.length);
  console.log(
    `speech ${(reference.length / 48).toFixed(0)} ms: correlation ${correlation.toFixed(4)}, ` +
      `starts ${(lag / 48).toFixed(1)} ms into the capture (includes paplay's start-up), ` +
      `first frame after start ${source.firstFrameMs.toFixed(1)} ms, overflows ${source.overflows}`,
  );
  assert.ok(lag >= 0, `speech found before the capture began (lag ${lag})`);
  assert.ok(correlation > 0.95, `captured speech does not match (correlation ${correlation})`);
});

Deno.test("a restarted PortAudioSource returns no audio from while it was stopped", async () => {
  const source = new PortAudioSource({ device: "am_mic" });
  await source.start();
  await source.read();
  await source.stop();
  const dir = await Deno.makeTempDir();
  const wav = `${dir}/tone.wav`;
  await synthWav(wav, "0.3", "sine", "440");
  assert.ok((await new Deno.Command("paplay", { args: ["--device=mic", wav] }).output()).success);
  await sleep(100);
  await source.start();
  const levels: number[] = [];
  for (let i = 0; i < 5; i++) levels.push(rms(await source.read()));
  await source.close();
  await Deno.remove(dir, { recursive: true });
  assert.deepEqual(levels, [0, 0, 0, 0, 0], `stale audio after start: rms ${levels}`);
});

Deno.test("latency of the PortAudio output+input path (printed)", async () => {
  const sink = new PortAudioSink({ device: "am_spk" });
  const loop = new PortAudioSource({ device: "am_spk_monitor" });
  await loop.start();
  let writtenAt = 0;
  const results: number[] = [];
  let written = false;
  const reader = (async () => {
    // Until every impulse is back, or two seconds of audio after the last write:
    // counted in captured frames, so a busy machine only makes it take longer.
    for (let after = 0; results.length < 5 && after < 100; after += written ? 1 : 0) {
      const frame = await loop.read();
      const at = frame.findIndex((s) => s > 20000);
      // When the impulse's sample was captured: the frame ends at the read's return.
      if (at >= 0 && writtenAt) results.push(performance.now() - (960 - at) / 48 - writtenAt);
    }
  })();
  const silence = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < 10; i++) await sink.write(silence);
  for (let k = 0; k < 5; k++) {
    const impulse = new Int16Array(FRAME_SAMPLES);
    impulse[0] = 30000;
    writtenAt = performance.now();
    await sink.write(impulse);
    for (let i = 0; i < 10; i++) await sink.write(silence);
  }
  written = true;
  await reader;
  await loop.close();
  await sink.close();
  console.log(
    `PortAudio reports out ${sink.latency().reportedMs} ms + in ${loop.latency().reportedMs} ms; ` +
      `write() -> sample captured on spk.monitor: ${
        results.map((r) => r.toFixed(1)).join(", ")
      } ms; output underflows ${sink.underflows}, input overflows ${loop.overflows}`,
  );
  // An output underflow (a machine too busy for real time) makes ALSA restart the
  // stream, dropping what it held: each one may cost an impulse, nothing else may.
  assert.ok(
    results.length >= Math.max(1, 5 - sink.underflows),
    `${results.length} of 5 impulses came back, with ${sink.underflows} output underflows`,
  );
});

Deno.test("no ALSA or JACK chatter on stderr with the system ALSA config", async () => {
  // Device probing, then a stream each way on the default device, as am-client does.
  const silenced = await runSnippet(
    `import { PortAudio } from "${ffiUrl}";\n` +
      `import { PortAudioSink, PortAudioSource } from "${ioUrl}";\n` +
      `const count = PortAudio.load().deviceCount();\n` +
      `const sink = new PortAudioSink(); const source = new PortAudioSource();\n` +
      `await source.start();\n` +
      `for (let i = 0; i < 5; i++) { await sink.write(new Int16Array(960)); await source.read(); }\n` +
      `await source.close(); await sink.close(); console.log(count);`,
    { ...pulse.env, PULSE_SINK: "spk", PULSE_SOURCE: "mic.monitor" },
  );
  assert.equal(silenced.code, 0, silenced.stderr);
  assert.ok(Number(silenced.stdout) > 0, "the system config should list pulse/default");
  assert.doesNotMatch(silenced.stderr, /ALSA lib|jack|Jack/, silenced.stderr);
  // Control: the same Pa_Initialize without the no-op handlers does chatter here.
  const raw = await runSnippet(
    `const pa = Deno.dlopen("libportaudio.so.2", { Pa_Initialize: { parameters: [], ` +
      `result: "i32" } });\npa.symbols.Pa_Initialize();`,
    pulse.env,
  );
  assert.match(raw.stderr, /ALSA lib|jack/, "control run printed nothing: the check is moot");
});

Deno.test("a missing PortAudio library gives AudioUnavailableError with a clear message", async () => {
  const out = await runSnippet(
    `import { AudioUnavailableError, PortAudio } from "${ffiUrl}";\n` +
      `try { PortAudio.load(); } catch (e) {\n` +
      `  console.log(JSON.stringify({ isClass: e instanceof AudioUnavailableError, name: e.name,` +
      ` message: e.message, cause: String(e.cause) }));\n}`,
    { ...pulse.env, AM_PORTAUDIO_LIB: "/nonexistent/libportaudio.so.2" },
  );
  assert.equal(out.code, 0, out.stderr);
  const err = JSON.parse(out.stdout);
  assert.equal(err.isClass, true);
  assert.equal(err.name, "AudioUnavailableError");
  assert.match(err.message, /PortAudio library not found.*\/nonexistent\/libportaudio\.so\.2/);
  assert.match(err.message, /AM_PORTAUDIO_LIB/);
  assert.notEqual(err.cause, "undefined");
});

Deno.test("with the sound server down: no devices and a clear notice", async () => {
  const out = await runSnippet(
    `import { formatDeviceList, listDevices, pickDevice } from "${devicesUrl}";\n` +
      `const list = listDevices();\nconsole.log(JSON.stringify({ inputs: list.inputs.length,` +
      ` outputs: list.outputs.length, text: formatDeviceList(list),` +
      ` pick: (() => { try { pickDevice(undefined, "input", list); } catch (e) {` +
      ` return e.name + ": " + e.message; } })() }));`,
    { PULSE_SERVER: "unix:/nonexistent/am-pulse/native", PULSE_RUNTIME_PATH: "/nonexistent" },
  );
  assert.equal(out.code, 0, out.stderr);
  const got = JSON.parse(out.stdout);
  assert.equal(got.inputs, 0);
  assert.equal(got.outputs, 0);
  assert.match(got.text, /No audio devices found.*sound server.*Text chat works/s);
  assert.match(got.pick, /^AudioUnavailableError: No audio devices found/);
  assert.doesNotMatch(out.stderr, /ALSA lib|jack/, out.stderr);
});
