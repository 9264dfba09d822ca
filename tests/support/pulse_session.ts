/**
 * Gives a test a live private PulseAudio daemon and the ALSA fixture that names its
 * devices. A harness (e.g. `make test`) may start one daemon for the whole suite with
 * `eval "$(scripts/pulse_env.sh start)"` and export its `PULSE_SERVER`; a test run on
 * its own starts (and later stops) a daemon of its own through the same script.
 *
 * @module
 */

/** The test-only ALSA config: devices `am_mic`, `am_spk`, `am_spk_monitor`, `default`. */
export const FIXTURE_ALSA_CONFIG = new URL("./fixtures/asound.conf", import.meta.url).pathname;

const PULSE_ENV_SCRIPT = new URL("../../scripts/pulse_env.sh", import.meta.url).pathname;

/** A daemon in use by a test. */
export interface PulseSession {
  /** `PULSE_SERVER` and `PULSE_RUNTIME_PATH` of the daemon. */
  env: Record<string, string>;
  /** Whether this session started the daemon (and so stops it). */
  owned: boolean;
  /** Stops the daemon if this session started it (synchronous: fine in `unload`). */
  stop(): void;
}

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { ok: out.success, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Whether a PulseAudio daemon answers at `server`. */
export async function pulseAnswers(server: string): Promise<boolean> {
  return (await run("pactl", ["--server", server, "info"])).ok;
}

/**
 * Returns a live daemon: the one in `PULSE_SERVER` if it answers, else a new one.
 * Its env is also set in this process, so PortAudio loaded afterwards reaches it.
 */
export async function usePulse(): Promise<PulseSession> {
  const given = Deno.env.get("PULSE_SERVER");
  if (given && await pulseAnswers(given)) {
    const env: Record<string, string> = { PULSE_SERVER: given };
    const runtime = Deno.env.get("PULSE_RUNTIME_PATH");
    if (runtime) env.PULSE_RUNTIME_PATH = runtime;
    return { env, owned: false, stop: () => {} };
  }
  const started = await run("bash", [PULSE_ENV_SCRIPT, "start"], { AM_PULSE_DIR: "" });
  if (!started.ok) {
    throw new Error(`Could not start PulseAudio for the test: ${started.stderr.trim()}`);
  }
  const env: Record<string, string> = {};
  for (const m of started.stdout.matchAll(/(PULSE_[A-Z_]+)=(\S+)/g)) env[m[1]] = m[2];
  if (!env.PULSE_SERVER || !env.PULSE_RUNTIME_PATH) {
    throw new Error(`pulse_env.sh start printed no PULSE_SERVER: ${started.stdout}`);
  }
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  return {
    env,
    owned: true,
    stop: () => {
      const args = [PULSE_ENV_SCRIPT, "stop", env.PULSE_RUNTIME_PATH];
      new Deno.Command("bash", { args, stdout: "null", stderr: "null" }).outputSync();
      try {
        Deno.removeSync(env.PULSE_RUNTIME_PATH, { recursive: true });
      } catch {
        // Already gone or still busy: a temp dir, harmless to leave.
      }
    },
  };
}

/** A parec recording in progress. */
export interface Recording {
  /** Waits until `done(samples so far)` holds, checked as each chunk arrives. */
  until(done: (samples: Int16Array) => boolean): Promise<void>;
  /** Ends the recording and returns every sample. */
  stop(): Promise<Int16Array>;
}

/** Records `device` (e.g. `spk.monitor`) with parec until `stop()`; 48 kHz mono s16le. */
export async function startRecording(device: string): Promise<Recording> {
  const child = new Deno.Command("parec", {
    args: [
      `--device=${device}`,
      "--rate=48000",
      "--channels=1",
      "--format=s16le",
      "--latency-msec=10",
      "--raw",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // One buffer grown by doubling, so that looking at the recording after every
  // chunk (`until`) costs no copy of all that came before.
  let bytes = new Uint8Array(1 << 16);
  let length = 0;
  const append = (chunk: Uint8Array) => {
    if (length + chunk.length > bytes.length) {
      const grown = new Uint8Array(Math.max(2 * bytes.length, length + chunk.length));
      grown.set(bytes.subarray(0, length));
      bytes = grown;
    }
    bytes.set(chunk, length);
    length += chunk.length;
  };
  let arrived = () => {};
  const samples = () => new Int16Array(bytes.buffer, 0, length >> 1);
  const reader = child.stdout.getReader();
  // The first chunk proves parec is capturing, so nothing played after this is missed.
  const first = await reader.read();
  if (first.value) append(first.value);
  let ended = false;
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      append(value);
      arrived();
    }
    ended = true;
    arrived();
  })();
  return {
    until: async (done) => {
      // A monitor source streams silence too, so chunks keep coming while we wait.
      while (!done(samples())) {
        if (ended) throw new Error(`parec on ${device} ended before the awaited sound`);
        await new Promise<void>((r) => arrived = r);
      }
    },
    stop: async () => {
      child.kill("SIGTERM");
      await rest;
      await child.status;
      return samples().slice();
    },
  };
}

/** Writes a 48 kHz mono 16-bit WAV from sox's `synth` and the effects after it (tones, noise). */
export async function synthWav(path: string, ...synth: string[]): Promise<string> {
  const made = await run("sox", [
    "-n",
    "-r",
    "48000",
    "-c",
    "1",
    "-b",
    "16",
    path,
    "synth",
    ...synth,
  ]);
  if (!made.ok) throw new Error(`sox could not write ${path}: ${made.stderr}`);
  return path;
}

/**
 * Writes `count` tone bursts (10 ms of 1 kHz at 80 % of full scale) `spacingMs` apart,
 * after `leadMs` of silence: short and sharp, so each copy of a burst in a recording
 * has a clear onset.
 */
export function toneBursts(
  path: string,
  count: number,
  spacingMs: number,
  leadMs = 0,
): Promise<string> {
  const pad = String((spacingMs - 10) / 1000);
  return synthWav(
    path,
    "0.01",
    "sine",
    "1000",
    "vol",
    "0.8",
    "pad",
    "0",
    pad,
    "repeat",
    String(count - 1),
    "pad",
    String(leadMs / 1000),
    "0",
  );
}

/** Writes espeak-ng speech of `text` as a 48 kHz mono 16-bit WAV in `dir`. */
export async function makeSpeech(dir: string, text: string): Promise<string> {
  const raw = `${dir}/speech_raw.wav`;
  const wav = `${dir}/speech.wav`;
  const spoken = await run("espeak-ng", ["-w", raw, text]);
  if (!spoken.ok) throw new Error(`espeak-ng failed: ${spoken.stderr}`);
  const converted = await run("sox", [raw, "-r", "48000", "-c", "1", "-b", "16", wav]);
  if (!converted.ok) throw new Error(`sox failed: ${converted.stderr}`);
  return wav;
}
