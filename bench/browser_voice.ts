/**
 * Browser voice: mouth-to-ear latency from a page in Debian's Chromium to a
 * terminal client, and the CPU the browser spends on a talk. Chromium captures
 * for real from a private PulseAudio daemon (its default source is the "mic"
 * sink's monitor; no fake device), the page encodes and seals as a user's
 * would (a remapped copy of that monitor: Chromium offers no monitor source
 * as a microphone), the relay forwards, and `am-client --speaker am_spk` plays to the
 * "spk" sink. Tone bursts go into "mic"; one recording of both sinks
 * (void.monitor) holds each burst twice, and the gap is mouth to ear, as in
 * bench/voice_latency.ts. CPU: every process of the browser, from /proc, over
 * the talk and over as long a time joined and silent.
 *
 *   deno run -A bench/browser_voice.ts [--bursts 60]
 *   (needs Chromium, PulseAudio, sox; runs its own PulseAudio daemon unless
 *   PULSE_SERVER names one)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { findOnsets } from "../audio/analysis.ts";
import { launchBrowser } from "../tests/support/browser.ts";
import { ClientProcess, RelayProcess } from "../tests/support/harness.ts";
import { FIXTURE_ALSA_CONFIG, toneBursts, usePulse } from "../tests/support/pulse_session.ts";
import { median } from "./fanout.ts";
import { cpuSeconds, sleep } from "./proc.ts";
import { pairOnsets, percentile, playAndRecord, SPACING_MS } from "./voice_latency.ts";

/** Process ids of `root` and all its descendants, from /proc. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...children.get(ppid) ?? [], Number(e.name)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...children.get(out[i]) ?? []);
  return out;
}

/** CPU seconds used so far by `root` and its descendants. */
function treeCpu(root: number): number {
  let sum = 0;
  for (const pid of processTree(root)) {
    try {
      sum += cpuSeconds(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return sum;
}

const { values } = parseArgs({
  args: Deno.args,
  options: { bursts: { type: "string", default: "60" } },
});
const n = Number(values.bursts);
const pulse = await usePulse();
const pactl = async (...args: string[]) => {
  const out = await new Deno.Command("pactl", { args, env: pulse.env }).output();
  if (!out.success) {
    throw new Error(`pactl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
};
// Chromium lists no monitor source as a microphone: a remapped copy of mic.monitor is one.
const remap = await pactl(
  "load-module",
  "module-remap-source",
  "master=mic.monitor",
  "source_name=browser_mic",
);
await pactl("set-default-source", "browser_mic");
const dir = await Deno.makeTempDir({ prefix: "am-bench-browser-" });
const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
const bob = ClientProcess.start(relay.port, {
  nick: "bob",
  room: "bench",
  passphrase: "browser bench",
  env: { ...pulse.env, ALSA_CONFIG_PATH: FIXTURE_ALSA_CONFIG },
  args: ["--speaker", "am_spk"],
});
await bob.ready();
const browser = await launchBrowser(["--use-fake-ui-for-media-stream"], {
  ...pulse.env,
  PULSE_SOURCE: "browser_mic",
  PULSE_SINK: "void",
});
try {
  const bursts = await toneBursts(`${dir}/bursts.wav`, n, SPACING_MS);
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${relay.webPort}/?room=bench`);
  await (await page.waitForSelector("::-p-aria(Nick)"))!.type("carol");
  await (await page.waitForSelector("::-p-aria(Passphrase)"))!.type("browser bench");
  await (await page.waitForSelector("::-p-aria(Join)"))!.click();
  const talk = (await page.waitForSelector("::-p-aria(Talk):not([disabled])", {
    timeout: 30000,
  }))!;
  await bob.waitFor((e) => e.event === "joined" && e.nick === "carol", "carol joins");
  const pid = browser.process()!.pid!;
  const seconds = (n * SPACING_MS) / 1000;

  // Joined and silent, as long as the talk will last.
  const idleCpu0 = treeCpu(pid);
  const idleT0 = performance.now();
  await sleep(seconds * 1000);
  const idle = (treeCpu(pid) - idleCpu0) / ((performance.now() - idleT0) / 1000);

  await talk.click();
  await bob.waitFor((e) => e.event === "talk-start" && e.nick === "carol", "carol talks");
  await sleep(300);
  const talkCpu0 = treeCpu(pid);
  const talkT0 = performance.now();
  const recording = await playAndRecord(pulse.env, bursts);
  const talking = (treeCpu(pid) - talkCpu0) / ((performance.now() - talkT0) / 1000);
  await talk.click();
  const gaps = pairOnsets(findOnsets(recording, 8000, { minGapSamples: 480 }));
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  console.log([
    "## Browser voice (Chromium page → relay → terminal client, real capture through PulseAudio)",
    "",
    `${n} tone bursts (10 ms, 1 kHz) ${SPACING_MS} ms apart into the "mic" sink, captured by`,
    "the page (getUserMedia, AudioWorklet, Opus), played by am-client --speaker am_spk.",
    "",
    "| measure | value |",
    "| --- | ---: |",
    `| bursts heard | ${gaps.length}/${n} |`,
    `| mouth-to-ear p50 | ${median(gaps).toFixed(1)} ms |`,
    `| mouth-to-ear p99 | ${percentile(gaps, 99).toFixed(1)} ms |`,
    `| mouth-to-ear range | ${Math.min(...gaps).toFixed(1)}–${Math.max(...gaps).toFixed(1)} ms |`,
    `| browser CPU, joined and silent | ${pct(idle)} of a core |`,
    `| browser CPU, talking | ${pct(talking)} of a core |`,
    "",
  ].join("\n"));
} finally {
  await browser.close();
  await bob.kill("SIGTERM");
  await relay.stop();
  await pactl("unload-module", remap);
  pulse.stop();
  await Deno.remove(dir, { recursive: true });
}
