/**
 * Replays the arrival times of real talks through the jitter buffer, played as
 * lib/voice/playout.ts plays it on a steady 20 ms device clock, once counting whole
 * frames (no tick times: the buffer before tick times were passed in), once with
 * tick times, and once with tick times and trims (a frame played shorter when the
 * buffer allows, which brings the device's ticks sooner), and prints each one's
 * concealed frames and waits, per talk and over all talks. The arrivals are the
 * talker's send times from voice traces of bench/voice_latency.ts runs (its
 * `--out` leaves `NAME.alice.jsonl` beside the figures) plus 1 ms for loopback, so
 * they carry whatever the machine did to the talker while it ran. Every frame is
 * taken as quiet, so skips and holds happen whenever the buffer asks for them.
 *
 *   deno run -A bench/jitter_replay.ts TRACE.alice.jsonl...
 *
 * @module
 */

import { JitterBuffer } from "../audio/jitter_buffer.ts";
import { FRAME_MS } from "../audio/audio_io.ts";
import { readTrace } from "./voice_budget.ts";
import { median } from "./fanout.ts";
import { silentTickCut } from "../lib/voice/playout.ts";

/** What one replay gave. */
export interface ReplayResult {
  /** Frames concealed because a packet was missing at its tick. */
  concealed: number;
  /** Each played frame's wait from arrival to its tick, in ms. */
  waits: number[];
  /** Frames skipped and ticks held. */
  skipped: number;
  held: number;
  /** Frames played shorter, and the ms cut in all. */
  trims: number;
  trimmedMs: number;
}

/** How the replay plays the buffer: as each version of the playout did. */
export type ReplayMode = "frames" | "tick times" | "trim";

/** Plays `arrivals` (seq → ms) on a 20 ms clock starting at `phase`, as `mode` says. */
export function replay(arrivals: Map<number, number>, mode: ReplayMode, phase = 0): ReplayResult {
  const timed = mode !== "frames";
  const jb = new JitterBuffer();
  const order = [...arrivals].sort((a, b) => a[1] - b[1]);
  const t0 = order[0][1];
  const end = order.at(-1)![1] + 1000;
  const out: ReplayResult = {
    concealed: 0,
    waits: [],
    skipped: 0,
    held: 0,
    trims: 0,
    trimmedMs: 0,
  };
  let next = 0;
  let tickMs = FRAME_MS;
  for (let now = t0 + phase; now < end; now += tickMs) {
    tickMs = FRAME_MS;
    while (next < order.length && order[next][1] <= now) {
      jb.push(order[next][0], new Uint8Array(1), order[next][1]);
      next++;
    }
    if (timed && jb.deficit) {
      jb.hold();
      out.held++;
      continue;
    }
    const pop = jb.pop(timed ? now : undefined);
    if (pop.kind === "lost" && next < order.length) out.concealed++;
    if (pop.kind === "waiting" && mode === "trim") {
      // As the player does: a silent tick ends early when a spurt will be due before the next.
      const cut = silentTickCut(jb.startsInMs(now));
      if (cut > 0) {
        tickMs -= cut;
        out.trims++;
        out.trimmedMs += cut;
      }
    }
    if (pop.kind === "frame") {
      out.waits.push(now - arrivals.get(pop.seq)!);
      if (jb.surplus) {
        jb.pop(timed ? now : undefined);
        out.skipped++;
      }
      const trim = mode === "trim" ? jb.trimMs : 0;
      if (trim > 0) {
        jb.trimmed(trim);
        tickMs -= trim;
        out.trims++;
        out.trimmedMs += trim;
      }
    }
  }
  return out;
}

if (import.meta.main) {
  const percentile = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  console.log(
    "| trace | frames | mode | concealed | wait p50 ms | wait p99 ms | skipped | held | trims |",
  );
  console.log("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  const modes: ReplayMode[] = ["frames", "tick times", "trim"];
  const all = new Map<ReplayMode, ReplayResult[]>(modes.map((m) => [m, []]));
  const row = (name: string, size: string, mode: ReplayMode, runs: ReplayResult[]) => {
    const waits = runs.flatMap((r) => r.waits);
    const mean = (f: (r: ReplayResult) => number) =>
      (runs.reduce((a, r) => a + f(r), 0) / runs.length).toFixed(2);
    console.log(
      `| ${name} | ${size} | ${mode} | ${mean((r) => r.concealed)} | ${
        median(waits).toFixed(1)
      } | ${percentile(waits, 99).toFixed(1)} | ${mean((r) => r.skipped)} | ${
        mean((r) => r.held)
      } | ${mean((r) => r.trims)} |`,
    );
  };
  for (const path of Deno.args) {
    const arrivals = new Map<number, number>();
    for (const e of readTrace(path)) {
      if (e.s === "cap" && (e.seq as number) >= 0) {
        arrivals.set(e.seq as number, (e.tx as number) + 1);
      }
    }
    if (arrivals.size < 100) continue;
    for (const mode of modes) {
      // Phases across the frame: the device clock's offset is chance.
      const runs = [0, 5, 10, 15].map((p) => replay(arrivals, mode, p));
      all.get(mode)!.push(...runs);
      row(path.split("/").pop()!, String(arrivals.size), mode, runs);
    }
  }
  // Per talk and phase on average, over every talk.
  for (const mode of modes) row("**all talks**", "", mode, all.get(mode)!);
}
