/**
 * CPU cost of voice in the client: one talker (`--mic` WAV: silence detection,
 * Opus encoding, sealing) and one listener (`--speaker` WAV: opening, jitter
 * buffer, Opus decoding, mixing), each measured from /proc over a long talk
 * and compared with the same client idle in the same room for the same time.
 *
 *   deno run -A bench/voice_cpu.ts [--seconds 20] [--no-tls]
 *
 * `--no-tls` runs relay and clients over plain TCP (to compare with builds
 * without TLS, or to see the rest of the cost on its own).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ClientProcess, RelayProcess } from "../tests/support/harness.ts";
import { synthWav } from "../tests/support/pulse_session.ts";
import { cpuSeconds } from "./proc.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "20" }, "no-tls": { type: "boolean" } },
});
const seconds = Number(values.seconds);
const dir = await Deno.makeTempDir();
const speech = `${dir}/speech.wav`;
// Pink noise above the silence threshold: the talker never stops on its own.
await synthWav(speech, String(seconds), "pinknoise", "vol", "0.3");

const relay = await RelayProcess.start(values["no-tls"] ? ["--no-tls"] : []);
const idle = ClientProcess.start(relay.port, { nick: "idle", args: ["--no-audio"] });
const listener = ClientProcess.start(relay.port, {
  nick: "listener",
  args: ["--speaker", `${dir}/out.wav`],
});
const talker = ClientProcess.start(relay.port, { nick: "talker", args: ["--mic", speech] });
await Promise.all([idle.ready(), listener.ready(), talker.ready()]);
await new Promise((r) => setTimeout(r, 1000));
const procs = { talker, listener, idle };
const before = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid)]));
const relayBefore = cpuSeconds(relay.pid);
const t0 = performance.now();
await talker.send("[audio]");
await listener.waitFor(
  (e) => e.event === "talk-end" && e.nick === "talker",
  "talk end",
  (seconds + 10) * 1000,
);
const wall = (performance.now() - t0) / 1000;
const used = Object.fromEntries(
  Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid) - before[k]]),
);
const relayUsed = cpuSeconds(relay.pid) - relayBefore;
await Promise.all([talker.finish(), listener.finish(), idle.finish()]);
await relay.stop();
await Deno.remove(dir, { recursive: true });

const pct = (s: number) => `${((s / wall) * 100).toFixed(1)} %`;
console.log(`voice CPU over a ${wall.toFixed(1)} s talk (one core = 100 %):`);
console.log(`  talker   ${pct(used.talker)}  (idle client ${pct(used.idle)})`);
console.log(`  listener ${pct(used.listener)}`);
console.log(`  relay    ${pct(relayUsed)} for one talker and two members`);
