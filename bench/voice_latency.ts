/**
 * Voice mouth-to-ear latency with real PortAudio through PulseAudio null sinks:
 * 10 ms tone bursts 400 ms apart are played into the "mic" sink; client A
 * captures mic.monitor (ALSA device am_mic), the relay forwards, client B plays
 * to "spk" (am_spk). The daemon's "void" sink hears both sinks through equal
 * loopbacks, so one recording of void.monitor holds each burst twice: the gap
 * between the two copies is mouth to ear. The same is done without the relay:
 * one process captures, Opus-encodes, and hands the packets straight to the
 * client's own playout (jitter buffer, decoder, speaker), so the relay's share
 * shows as the difference. Writes a Markdown section for BENCHMARKS.md.
 *
 * Both clients also write voice traces (lib/voice/trace.ts), from which the
 * budget table splits each burst's latency into stages (bench/voice_budget.ts).
 *
 *   deno run -A bench/voice_latency.ts --out FILE.md [--bursts 80] [--relay-only]
 *   (needs a PulseAudio daemon: eval "$(scripts/pulse_env.sh start)")
 *
 * @module
 */

import { parseArgs } from "node:util";
import { findOnsets } from "../audio/analysis.ts";
import {
  FIXTURE_ALSA_CONFIG,
  startRecording,
  toneBursts,
  usePulse,
} from "../tests/support/pulse_session.ts";
import { ClientProcess, RelayProcess } from "../tests/support/harness.ts";
import { median } from "./fanout.ts";
import { burstBudgets, captureLateness, concealedFrames, readTrace } from "./voice_budget.ts";
import { sleep } from "./proc.ts";
import { FRAME_MS } from "../audio/audio_io.ts";

const RATE = 48000;
/** Time between two tone bursts. */
export const SPACING_MS = 400;
/**
 * Silence before the first burst in the relayed run: the player starts before the
 * talk and the first burst comes about half a second into it.
 */
const LEAD_MS = 600;

/** Latencies (ms) of each burst heard on both sinks, paired by the burst schedule. */
export function pairOnsets(onsets: number[], spacingMs = SPACING_MS): number[] {
  if (onsets.length === 0) return [];
  const spacing = (spacingMs / 1000) * RATE;
  // Microphone copies sit on the playback grid. The grid is followed from one mic
  // onset to the next (not from the first), because the sound server's clocks drift
  // a little against each other: about 0.07 ms a burst here, more than a fixed
  // tolerance allows over 80 bursts.
  //
  // A glitch of the sound server or the recording can shift the grid itself: every
  // microphone copy after it is then off the old grid, and none of them would be paired
  // again. An off-grid onset that follows a speaker copy, at least half a spacing after
  // the last microphone copy, cannot be a second copy of that burst: it is taken as the
  // shifted microphone copy, and the grid follows it.
  let lastMic = onsets[0];
  const onGrid = (o: number) => {
    const k = Math.max(1, Math.round((o - lastMic) / spacing));
    return o === lastMic || Math.abs(o - lastMic - k * spacing) < RATE * 0.004;
  };
  const mic: boolean[] = [];
  for (let i = 0; i < onsets.length; i++) {
    const shifted = i > 0 && !mic[i - 1] && onsets[i] - lastMic >= spacing / 2;
    mic.push(onGrid(onsets[i]) || shifted);
    if (mic[i]) lastMic = onsets[i];
  }
  const out: number[] = [];
  for (let i = 0; i < onsets.length; i++) {
    if (!mic[i]) continue;
    const copy = mic.indexOf(false, i + 1);
    if (copy >= 0 && onsets[copy] - onsets[i] < spacing) {
      out.push(((onsets[copy] - onsets[i]) / RATE) * 1000);
    }
  }
  return out;
}

/** The `p`th percentile of `xs` (nearest rank). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
}

/** Plays `bursts` into the "mic" sink while recording void.monitor (both sinks). */
export async function playAndRecord(
  env: Record<string, string>,
  bursts: string,
): Promise<Int16Array> {
  const rec = await startRecording("void.monitor");
  await new Deno.Command("paplay", { args: ["--device=mic", bursts], env }).output();
  await sleep(600);
  return await rec.stop();
}

/**
 * Through the relay: two real clients with PortAudio devices, tracing to `dir`.
 * `bursts` starts with {@linkcode LEAD_MS} of silence.
 */
async function viaRelay(
  env: Record<string, string>,
  bursts: string,
  dir: string,
): Promise<number[]> {
  const relay = await RelayProcess.start();
  const penv = { ...env, ALSA_CONFIG_PATH: FIXTURE_ALSA_CONFIG };
  const bob = ClientProcess.start(relay.port, {
    nick: "bob",
    env: { ...penv, AM_VOICE_TRACE: `${dir}/bob.jsonl` },
    args: ["--speaker", "am_spk"],
  });
  const alice = ClientProcess.start(relay.port, {
    nick: "alice",
    env: { ...penv, AM_VOICE_TRACE: `${dir}/alice.jsonl` },
    args: ["--mic", "am_mic", "--vad-hangover-ms", "5000"],
  });
  try {
    // Both devices open before the talk: opening them blocks a client for a few hundred ms.
    await Promise.all([alice.voiceReady(), bob.voiceReady()]);
    // The recorder and the player connect to the sound server before the talk, as a
    // microphone would be there already: once, a client connecting 300 ms into the talk
    // held up the talker's capture for 100 ms, and the listener's buffer then covered
    // that spike for the next 6 s.
    const rec = await startRecording("void.monitor");
    const began = performance.now();
    const player = new Deno.Command("paplay", { args: ["--device=mic", bursts], env }).output();
    await alice.send("[audio]");
    await bob.waitFor((e) => e.event === "talk-start" && e.nick === "alice", "alice talking");
    const talkAfter = performance.now() - began;
    if (talkAfter > LEAD_MS - 200) {
      console.error(`warning: the talk started ${talkAfter.toFixed(0)} ms after the player`);
    }
    await player;
    await sleep(600);
    return pairOnsets(findOnsets(await rec.stop(), 8000, { minGapSamples: 480 }));
  } finally {
    await Promise.all([alice.kill("SIGTERM"), bob.kill("SIGTERM")]);
    await relay.stop();
  }
}

/** Without the relay: capture → Opus → the client's playout, in one process. */
async function direct(env: Record<string, string>, bursts: string): Promise<number[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./voice_loop.ts", import.meta.url).pathname],
    env: { ...env, ALSA_CONFIG_PATH: FIXTURE_ALSA_CONFIG },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read(); // "ready": devices open, loop running
  await sleep(300);
  const rec = await playAndRecord(env, bursts);
  await child.stdin.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  return pairOnsets(findOnsets(rec, 8000, { minGapSamples: 480 }));
}

/** Load average over the last minute, for the figures' context. */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?";
  }
}

/** The budget table from the two traces and the recorded mouth-to-ear figures. */
function budgetSection(dir: string, relayed: number[]): { md: string[]; summary: object } {
  const talker = readTrace(`${dir}/alice.jsonl`);
  const listener = readTrace(`${dir}/bob.jsonl`);
  const b = burstBudgets(talker, listener);
  const late = captureLateness(talker);
  const med = (f: (x: (typeof b)[number]) => number) => median(b.map(f).filter(Number.isFinite));
  const stages = {
    frame: FRAME_MS,
    codec: med((x) => x.codec),
    encode: med((x) => x.encode),
    network: med((x) => x.network),
    jitter: med((x) => x.jitter),
    tick: med((x) => x.tick),
    cushion: med((x) => x.cushion),
  };
  const traced = Object.values(stages).reduce((a, v) => a + v, 0);
  const devices = median(relayed) - traced;
  const concealed = concealedFrames(listener);
  const targets = b.map((x) => x.target);
  const row = (stage: string, ms: number, note: string) =>
    `| ${stage} | ${ms.toFixed(1)} | ${note} |`;
  const md = [
    `Budget of the relayed path (medians over ${b.length} bursts; bench/voice_budget.ts):`,
    "",
    "| stage | ms | what |",
    "| --- | ---: | --- |",
    row("capture: the 20 ms frame", stages.frame, "a sample waits for the rest of its frame"),
    row("encode: Opus lookahead", stages.codec, "decoded onset behind the captured one"),
    row("encode + seal (CPU)", stages.encode, "read returned → frame on the socket"),
    row("network + relay", stages.network, "talker's socket → listener opened it (loopback)"),
    row("jitter buffer", stages.jitter, `arrival → popped (target ${median(targets)} frames)`),
    row("playout tick", stages.tick, "popped → written to the device"),
    row("speaker cushion", stages.cushion, "queued in the device ahead of the frame"),
    row("sound devices, both ends", devices, "ALSA pulse plugin + PulseAudio: the rest"),
    row("**mouth to ear (recording)**", median(relayed), ""),
    "",
    `Capture handed frames late (read time against the earliest in ±25 frames): median ${
      median(late).toFixed(1)
    } ms, p90 ${percentile(late, 90).toFixed(1)} ms. Listener concealed ${concealed} frames.`,
    "",
  ];
  return {
    md,
    summary: { stages, devices, concealed, late: median(late), targets, bursts: b.length },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "bench/results/voice_latency.md" },
      bursts: { type: "string", default: "80" },
      "relay-only": { type: "boolean", default: false },
    },
  });
  const pulse = await usePulse();
  const dir = await Deno.makeTempDir({ prefix: "am-bench-latency-" });
  try {
    const bursts = `${dir}/bursts.wav`;
    const led = `${dir}/led_bursts.wav`;
    const n = Number(values.bursts);
    await toneBursts(bursts, n, SPACING_MS);
    await toneBursts(led, n, SPACING_MS, LEAD_MS);
    const loadBefore = loadAverage();
    const relayed = await viaRelay(pulse.env, led, dir);
    const budget = budgetSection(dir, relayed);
    for (const who of ["alice", "bob"]) {
      await Deno.copyFile(`${dir}/${who}.jsonl`, values.out!.replace(/\.md$/, `.${who}.jsonl`))
        .catch(() => {});
    }
    const local = values["relay-only"] ? [] : await direct(pulse.env, bursts);
    const load = `${loadBefore}–${loadAverage()}`;
    const row = (name: string, xs: number[]) =>
      `| ${name} | ${xs.length}/${n} | ${median(xs).toFixed(1)} | ${
        percentile(xs, 99).toFixed(1)
      } | ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} |`;
    const md = [
      "## Voice mouth-to-ear latency (real PortAudio through PulseAudio null sinks)",
      "",
      `${n} tone bursts (10 ms, 1 kHz) ${SPACING_MS} ms apart played into the "mic" sink; each`,
      'burst\'s copy on the "spk" sink found in one recording of both (void.monitor).',
      `Load average (1 min) ${load}.`,
      "",
      "| path | bursts heard | p50 ms | p99 ms | range ms |",
      "| --- | ---: | ---: | ---: | ---: |",
      row("client A → relay → client B (am-client --mic am_mic / --speaker am_spk)", relayed),
      ...(local.length
        ? [row("same capture, Opus and playout in one process, no relay, no network", local)]
        : []),
      "",
      ...(local.length
        ? [
          `The relay and the network on loopback add ${
            (median(relayed) - median(local)).toFixed(1)
          } ms at the median.`,
          "",
        ]
        : []),
      ...budget.md,
    ].join("\n");
    console.log(md);
    Deno.writeTextFileSync(values.out!, md);
    Deno.writeTextFileSync(
      values.out!.replace(/\.md$/, ".json"),
      JSON.stringify({
        relayed,
        local,
        p50: median(relayed),
        p99: percentile(relayed, 99),
        load,
        ...budget.summary,
      }),
    );
  } finally {
    pulse.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
