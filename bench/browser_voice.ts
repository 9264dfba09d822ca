/**
 * Browser voice: mouth-to-ear latency from a page in Debian's Chromium to a
 * terminal client, and the CPU the browser spends on a talk. Chromium captures
 * for real from a private PulseAudio daemon (its default source is the "mic"
 * sink's monitor; no fake device), the page encodes and seals as a user's
 * would (a remapped copy of that monitor: Chromium offers no monitor source
 * as a microphone), the relay forwards, and `am-client --speaker am_spk` plays to the
 * "spk" sink. Tone bursts go into "mic"; one recording of both sinks
 * (void.monitor) holds each burst twice, and the gap is mouth to ear, as in
 * bench/voice_latency.ts, whose terminal-to-terminal path is measured in the
 * same run for comparison. Bursts are 1 s apart (a gap longer than the
 * browser path's latency pairs each copy with its burst), so the page talks
 * with the space bar held (push-to-talk: silence does not end it) and the
 * terminal talker with a long silence hangover. CPU: every process of the
 * browser, from /proc, over the talk and over as long a time joined and silent.
 *
 *   deno run -A bench/browser_voice.ts [--bursts 20] [--priority]
 *
 * `--priority` gives the browser the priority the terminal client takes for
 * audio (nice −10), which a page cannot ask for itself.
 *   (needs Chromium, PulseAudio, sox; runs its own PulseAudio daemon unless
 *   PULSE_SERVER names one)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { findOnsets } from "../audio/analysis.ts";
import { launchBrowser, processTree, raiseBrowserPriority } from "../tests/support/browser.ts";
import { ClientProcess, RelayProcess } from "../tests/support/harness.ts";
import { FIXTURE_ALSA_CONFIG, toneBursts, usePulse } from "../tests/support/pulse_session.ts";
import { median } from "./fanout.ts";
import { cpuSeconds, sleep } from "./proc.ts";
import { pairOnsets, percentile, playAndRecord } from "./voice_latency.ts";

/** Chromium's kind of process (renderer, utility, gpu-process, …; "browser" for the main one). */
function kindOf(pid: number): string {
  try {
    // Chromium rewrites its children's command lines into one space-separated string.
    const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split(/[\0 ]/);
    const type = args.find((a) => a.startsWith("--type="))?.slice(7) ?? "browser";
    const sub = args.find((a) => a.startsWith("--utility-sub-type="))?.slice(19);
    return sub ? `${type} (${sub})` : type;
  } catch {
    return "gone";
  }
}

/** CPU seconds used so far by `root` and its descendants, in all and by kind of process. */
function treeCpu(root: number): Map<string, number> {
  const by = new Map<string, number>([["all", 0]]);
  for (const pid of processTree(root)) {
    try {
      const s = cpuSeconds(pid);
      const kind = kindOf(pid);
      by.set("all", by.get("all")! + s);
      by.set(kind, (by.get(kind) ?? 0) + s);
    } catch {
      // Gone meanwhile.
    }
  }
  return by;
}

/** Share of a core each kind of process used between two {@linkcode treeCpu} readings. */
function cpuShare(a: Map<string, number>, b: Map<string, number>, seconds: number) {
  return new Map([...b].map(([k, v]) => [k, (v - (a.get(k) ?? 0)) / seconds]));
}

/** Time between two bursts: longer than either path's latency. */
const SPACING_MS = 1000;

const { values } = parseArgs({
  args: Deno.args,
  options: { bursts: { type: "string", default: "20" }, priority: { type: "boolean" } },
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
const devices = { ...pulse.env, ALSA_CONFIG_PATH: FIXTURE_ALSA_CONFIG };
const room = { room: "bench", passphrase: "browser bench", env: devices };
const bob = ClientProcess.start(relay.port, {
  nick: "bob",
  ...room,
  args: ["--speaker", "am_spk"],
});
const alice = ClientProcess.start(relay.port, {
  nick: "alice",
  ...room,
  args: ["--mic", "am_mic", "--vad-hangover-ms", "5000"],
});
await Promise.all([bob.ready(), alice.ready()]);
const browser = await launchBrowser(["--use-fake-ui-for-media-stream"], pulse.env);
const bursts = await toneBursts(`${dir}/bursts.wav`, n, SPACING_MS);
const latencies = async () =>
  pairOnsets(
    findOnsets(await playAndRecord(pulse.env, bursts), 8000, { minGapSamples: 480 }),
    SPACING_MS,
  );
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${relay.webPort}/?room=bench`);
  await (await page.waitForSelector("::-p-aria(Nick)"))!.type("carol");
  await (await page.waitForSelector("::-p-aria(Passphrase)"))!.type("browser bench");
  await (await page.waitForSelector("::-p-aria(Join)"))!.click();
  await page.waitForSelector("::-p-aria(Talk):not([disabled])", { timeout: 30000 });
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await bob.waitFor((e) => e.event === "joined" && e.nick === "carol", "carol joins");
  if (values.priority) await raiseBrowserPriority(browser);
  const pid = browser.process()!.pid!;
  const seconds = (n * SPACING_MS) / 1000;

  // Joined and silent, as long as the talk will last.
  const idleCpu0 = treeCpu(pid);
  const idleT0 = performance.now();
  await sleep(seconds * 1000);
  const idle = cpuShare(idleCpu0, treeCpu(pid), (performance.now() - idleT0) / 1000);

  await page.keyboard.down("Space");
  await bob.waitFor((e) => e.event === "talk-start" && e.nick === "carol", "carol talks");
  await sleep(300);
  const talkCpu0 = treeCpu(pid);
  const talkT0 = performance.now();
  const fromBrowser = await latencies();
  const talking = cpuShare(talkCpu0, treeCpu(pid), (performance.now() - talkT0) / 1000);
  await page.keyboard.up("Space");
  await bob.waitFor((e) => e.event === "talk-end" && e.nick === "carol", "carol done");

  await alice.send("[audio]");
  await bob.waitFor((e) => e.event === "talk-start" && e.nick === "alice", "alice talks");
  await sleep(300);
  const fromTerminal = await latencies();

  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${xs.length}/${n} | ${median(xs).toFixed(1)} | ${
      percentile(xs, 99).toFixed(1)
    } | ${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} |`;
  console.log([
    "## Browser voice (Chromium page → relay → terminal client, real capture through PulseAudio)",
    "",
    `\`deno run -A bench/browser_voice.ts --bursts ${n}${values.priority ? " --priority" : ""}\`` +
    (values.priority ? " (the browser at the terminal client's audio priority, nice −10)" : ""),
    "",
    `${n} tone bursts (10 ms, 1 kHz) ${SPACING_MS} ms apart into the "mic" sink; each burst's`,
    'copy on the "spk" sink (am-client --speaker am_spk) found in one recording of both.',
    "",
    "| talker | bursts heard | p50 ms | p99 ms | range ms |",
    "| --- | ---: | ---: | ---: | ---: |",
    row("page in Chromium (getUserMedia, AudioWorklet, Opus wasm)", fromBrowser),
    row("am-client --mic am_mic, same run", fromTerminal),
    "",
    "Browser CPU, one core = 100 % (the page's own code runs in the renderer):",
    "",
    "| process | joined, silent | talking |",
    "| --- | ---: | ---: |",
    ...[...talking.keys()].sort().map((k) =>
      `| ${k} | ${pct(idle.get(k) ?? 0)} | ${pct(talking.get(k)!)} |`
    ),
    "",
  ].join("\n"));
} finally {
  await browser.close();
  await Promise.all([alice.kill("SIGTERM"), bob.kill("SIGTERM")]);
  await relay.stop();
  await pactl("unload-module", remap);
  pulse.stop();
  await Deno.remove(dir, { recursive: true });
}
