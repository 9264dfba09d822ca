import assert from "node:assert/strict";
import { JitterBuffer, type JitterPop } from "../../audio/jitter_buffer.ts";
import { silentTickCut } from "../../lib/voice/playout.ts";

const pkt = (seq: number) => Uint8Array.of(seq & 0xff, (seq >>> 8) & 0xff);

/** Short description of a pop: "f<seq>" (with "*" for a spurt start), "l<seq>", "w". */
function show(p: JitterPop): string {
  if (p.kind === "frame") return `f${p.seq}${p.start ? "*" : ""}`;
  if (p.kind === "lost") return `l${p.seq}${p.final ? "!" : ""}`;
  return "w";
}

/**
 * Drives a buffer tick by tick: at tick t, packets whose arrival tick is t are pushed
 * (in the listed order), then one pop. Returns the pops.
 */
function run(jb: JitterBuffer, arrivals: Array<[seq: number, tick: number]>, ticks: number) {
  const out: string[] = [];
  for (let t = 0; t < ticks; t++) {
    for (const [seq, at] of arrivals) if (at === t) jb.push(seq, pkt(seq), t * 20);
    out.push(show(jb.pop()));
  }
  return out;
}

Deno.test("prefills the target (40 ms before jitter is known), then plays in order", () => {
  const jb = new JitterBuffer();
  assert.equal(jb.targetFrames, 2);
  const arrivals: Array<[number, number]> = [];
  for (let s = 0; s < 6; s++) arrivals.push([100 + s, s]);
  const out = run(jb, arrivals, 7);
  assert.deepEqual(out, ["w", "f100*", "f101", "f102", "f103", "f104", "f105"]);
  const st = jb.stats();
  assert.equal(st.played, 6);
  assert.equal(st.lost, 0);
});

Deno.test("reordered packets are played in sequence order", () => {
  const jb = new JitterBuffer();
  const out = run(jb, [[1, 0], [0, 0], [3, 1], [2, 1], [5, 2], [4, 2]], 7);
  assert.deepEqual(out, ["w", "f0*", "f1", "f2", "f3", "f4", "f5"]);
  assert.equal(jb.stats().late, 0);
});

Deno.test("duplicates are dropped, queued or already played", () => {
  const jb = new JitterBuffer();
  assert.equal(jb.push(7, pkt(7), 0), true);
  assert.equal(jb.push(7, pkt(7), 1), false);
  jb.push(8, pkt(8), 20);
  jb.push(9, pkt(9), 40);
  assert.equal(show(jb.pop()), "f7*");
  assert.equal(jb.push(7, pkt(7), 60), false);
  assert.equal(jb.stats().duplicates, 2);
  assert.equal(jb.stats().late, 0);
});

Deno.test("a missing frame is reported lost when later ones are queued; its late copy is dropped", () => {
  const jb = new JitterBuffer();
  // Seq 2 never arrives in time; it shows up after its slot.
  const out = run(jb, [[0, 0], [1, 1], [3, 2], [4, 3], [5, 4], [2, 5], [6, 5]], 7);
  assert.deepEqual(out, ["w", "f0*", "f1", "l2", "f3", "f4", "f5"]);
  const st = jb.stats();
  assert.equal(st.lost, 1);
  assert.equal(st.underruns, 0);
  assert.equal(st.late, 1);
});

Deno.test("an underrun conceals without skipping, so a delayed packet still plays", () => {
  const jb = new JitterBuffer();
  // Seq 3 is 60 ms late for its slot; nothing newer arrives before it.
  const out = run(jb, [[0, 0], [1, 1], [2, 2], [3, 7], [4, 7], [5, 7]], 10);
  assert.deepEqual(out, ["w", "f0*", "f1", "f2", "l3", "l3", "l3", "f3", "f4", "f5"]);
  const st = jb.stats();
  assert.equal(st.underruns, 3);
  assert.equal(st.late, 0);
  assert.equal(st.played, 6);
});

Deno.test("after a bounded run of losses the talker is idle; the next spurt prefills again", () => {
  const jb = new JitterBuffer({ maxLostRun: 3 });
  const spurt2 = 10; // the sender's counter continues where it stopped
  const out = run(jb, [[0, 0], [1, 1], [2, 2], [spurt2, 10], [11, 11], [12, 12], [13, 13]], 15);
  assert.deepEqual(out, [
    "w",
    "f0*",
    "f1",
    "f2",
    "l3",
    "l3",
    "l3!",
    "w",
    "w",
    "w",
    "w",
    "f10*",
    "f11",
    "f12",
    "f13",
  ]);
  assert.equal(jb.playing, true);
});

Deno.test("a next spurt that continues the counter is not taken for late packets", () => {
  const jb = new JitterBuffer({ maxLostRun: 2 });
  // A pause of 600 ms: longer than any stall the buffer adapts to.
  const out = run(jb, [[0, 0], [1, 0], [2, 0], [3, 30], [4, 30], [5, 30]], 34);
  assert.deepEqual(out.slice(0, 6), ["f0*", "f1", "f2", "l3", "l3!", "w"]);
  assert.deepEqual(out.slice(30), ["f3*", "f4", "f5", "l6"]);
  assert.equal(jb.stats().late, 0);
  assert.equal(jb.stats().spikeMs, 0, "a pause is not a stall");
});

Deno.test("a lone short spurt starts after waiting one prefill time", () => {
  const jb = new JitterBuffer({ maxLostRun: 1 });
  const out = run(jb, [[42, 0]], 5);
  assert.deepEqual(out, ["w", "f42*", "l43!", "w", "w"]);
});

Deno.test("a burst beyond the largest target plus its margin is trimmed to bound latency", () => {
  const jb = new JitterBuffer({ maxTargetMs: 200, maxExcessMs: 200 });
  for (let s = 0; s < 3; s++) jb.push(s, pkt(s), s * 20);
  assert.equal(show(jb.pop()), "f0*");
  // 40 frames arrive at once, ahead of time (a sender replaying a backlog).
  for (let s = 3; s < 43; s++) jb.push(s, pkt(s), 60);
  assert.ok(jb.stats().depth > 20);
  const next = jb.pop();
  assert.equal(next.kind, "frame");
  const st = jb.stats();
  assert.ok(st.dropped > 0);
  // It keeps the newest audio, as much of it as the largest target.
  assert.equal(st.depth, 10 - 1);
  assert.equal(show(next), `f${43 - 10}`);
});

/**
 * A talk of `frames` frames whose packets are due every 20 ms; `stall(seq)` gives
 * extra delay of a packet. Plays one tick per 20 ms (skipping a frame on `surplus`,
 * as the player does on a quiet frame) and returns the pops and the buffer.
 */
function talk(frames: number, stall: (seq: number) => number, jb = new JitterBuffer()) {
  const due = new Map<number, number[]>();
  for (let s = 0; s < frames; s++) {
    const tick = Math.ceil((s * 20 + stall(s)) / 20);
    due.set(tick, [...(due.get(tick) ?? []), s]);
  }
  const pops: JitterPop[] = [];
  const targets: number[] = [];
  for (let tick = 0; tick < frames + 40; tick++) {
    for (const s of due.get(tick) ?? []) jb.push(s, pkt(s), tick * 20);
    pops.push(jb.pop());
    if (jb.surplus) pops.push(jb.pop());
    targets.push(jb.targetFrames);
  }
  return { jb, pops, targets };
}

const playedSeqs = (pops: JitterPop[]) => pops.flatMap((p) => p.kind === "frame" ? [p.seq] : []);

for (const stallMs of [100, 160, 200]) {
  Deno.test(`a ${stallMs} ms stall then burst: no frame dropped, target covers the stall`, () => {
    // Packets 100.. are held up by the stall and then delivered at once, twice
    // (a second stall a few seconds later finds the buffer already deep enough).
    const stalled = (s: number) =>
      (s >= 100 && s < 100 + stallMs / 20) ||
      (s >= 300 && s < 300 + stallMs / 20);
    const { jb, pops, targets } = talk(500, (s) => {
      if (!stalled(s)) return 0;
      const end = s < 300 ? 100 : 300;
      return end * 20 + stallMs - s * 20; // all arrive when the stall ends
    });
    const played = playedSeqs(pops);
    assert.deepEqual(played, Array.from({ length: 500 }, (_, i) => i), "every frame, in order");
    const st = jb.stats();
    assert.equal(st.dropped, 0);
    assert.equal(st.late, 0);
    // The target rose to cover the stall: one frame plus the stall.
    assert.equal(Math.max(...targets), Math.min(10, 1 + stallMs / 20));
    // The second stall is absorbed without a single concealed frame.
    const lostAfter = pops.slice(280).filter((p) => p.kind === "lost" && p.seq < 500).length;
    assert.equal(lostAfter, 0, "second stall concealed nothing");
  });
}

Deno.test("a stall longer than the largest target costs concealment, not dropped speech", () => {
  // 300 ms of packets arrive at once: more than a 200 ms target can hide.
  const { jb, pops } = talk(300, (s) => (s >= 100 && s < 115 ? (115 - s) * 20 : 0));
  assert.deepEqual(playedSeqs(pops), Array.from({ length: 300 }, (_, i) => i));
  assert.equal(jb.stats().dropped, 0);
});

Deno.test("a quiet path after a stall: the target shrinks back, quiet frames are skipped", () => {
  const { jb, targets } = talk(
    2500,
    (s) => (s >= 50 && s < 60 ? (60 - s) * 20 : 0),
  );
  assert.equal(Math.max(...targets), 10);
  // 3 s a frame: after ~30 s of calm talk it is back to the bottom.
  assert.equal(targets.at(-1), 1);
  const st = jb.stats();
  assert.equal(st.spikeMs, 0);
  assert.equal(st.dropped, 0);
  assert.ok(st.depth <= st.targetFrames + 1, `depth ${st.depth}, target ${st.targetFrames}`);
});

Deno.test("target adapts: 20 ms on a steady link, 60 ms on a jittery one", () => {
  const steady = new JitterBuffer();
  for (let s = 0; s < 100; s++) {
    steady.push(s, pkt(s), s * 20);
    steady.pop();
  }
  assert.equal(steady.targetFrames, 1);
  assert.ok(steady.stats().jitterMs < 1);
  const jittery = new JitterBuffer();
  for (let s = 0; s < 100; s++) {
    jittery.push(s, pkt(s), s * 20 + (s % 2 === 0 ? 0 : 15));
    jittery.pop();
  }
  assert.equal(jittery.targetFrames, 3);
  assert.ok(jittery.stats().jitterMs > 10);
});

Deno.test("sequence numbers wrap around uint32", () => {
  const jb = new JitterBuffer();
  const seqs = [0xfffffffe, 0xffffffff, 0, 1, 2];
  const out = run(jb, seqs.map((s, i) => [s, i] as [number, number]), 6);
  assert.deepEqual(out, ["w", `f${0xfffffffe}*`, `f${0xffffffff}`, "f0", "f1", "f2"]);
});

Deno.test("a sender that restarts its counter far back is followed, not ignored", () => {
  const jb = new JitterBuffer({ maxLostRun: 1 });
  run(jb, [[5000, 0], [5001, 1], [5002, 2]], 8);
  const out = run(jb, [[0, 0], [1, 1], [2, 2]], 4);
  assert.deepEqual(out, ["w", "f0*", "f1", "f2"]);
});

Deno.test("stats count everything and constructor checks its range", () => {
  const jb = new JitterBuffer();
  const st = jb.stats();
  assert.deepEqual(Object.keys(st).sort(), [
    "depth",
    "dropped",
    "duplicates",
    "jitterMs",
    "late",
    "lost",
    "played",
    "received",
    "spikeMs",
    "targetFrames",
    "underruns",
  ]);
  assert.throws(() => new JitterBuffer({ minTargetMs: 80, maxTargetMs: 40 }), RangeError);
});

Deno.test("random delay, loss, duplication and reordering: each frame plays once, in order", () => {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const jb = new JitterBuffer();
  const arrivals = new Map<number, number[]>(); // arrival tick ms -> seqs
  const frames = 1000;
  for (let s = 0; s < frames; s++) {
    if (rand() < 0.05) continue; // lost in the network
    const copies = rand() < 0.05 ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const at = s * 20 + Math.floor(rand() * 35); // 0–35 ms of delay: reorders too
      const tick = Math.ceil(at / 20);
      arrivals.set(tick, [...(arrivals.get(tick) ?? []), s]);
    }
  }
  const played: number[] = [];
  let maxDepth = 0;
  for (let tick = 0; tick < frames + 10; tick++) {
    for (const s of arrivals.get(tick) ?? []) jb.push(s, pkt(s), tick * 20);
    const p = jb.pop();
    if (p.kind === "frame") played.push(p.seq);
    maxDepth = Math.max(maxDepth, jb.stats().depth);
  }
  for (let i = 1; i < played.length; i++) assert.ok(played[i] > played[i - 1]);
  const st = jb.stats();
  assert.ok(played.length > frames * 0.85, `played ${played.length}`);
  assert.equal(st.played, played.length);
  assert.ok(st.duplicates > 0 && st.lost > 0);
  assert.ok(maxDepth <= 3 + 4, `depth reached ${maxDepth}`);
});

Deno.test("a playout clock slower than the talker does not let latency creep up", () => {
  // 1 % more frames arrive than playout ticks take: without correction the queue
  // would grow by one frame every two seconds for as long as the talk lasts.
  const jb = new JitterBuffer();
  let seq = 0;
  let maxDepth = 0;
  for (let tick = 0; tick < 3000; tick++) {
    jb.push(seq, pkt(seq), tick * 20);
    seq++;
    if (tick % 100 === 0) {
      jb.push(seq, pkt(seq), tick * 20);
      seq++;
    }
    jb.pop();
    if (jb.surplus) jb.pop(); // what the playout does (it only skips quiet frames)
    if (tick >= 500) maxDepth = Math.max(maxDepth, jb.stats().depth);
  }
  const st = jb.stats();
  assert.ok(maxDepth <= st.targetFrames + 2, `depth ${maxDepth}, target ${st.targetFrames}`);
  assert.equal(st.lost, 0);
});

Deno.test("a burst the listener took late because it stalled itself does not raise the target", () => {
  const jb = new JitterBuffer();
  for (let s = 0; s < 50; s++) {
    jb.push(s, pkt(s), s * 20);
    jb.pop();
  }
  const before = jb.targetFrames;
  // The listener's loop was stuck 200 ms: packets 50..59 are taken at once, flagged.
  for (let s = 50; s < 60; s++) jb.push(s, pkt(s), 1200, true);
  for (let s = 60; s < 100; s++) {
    jb.push(s, pkt(s), s * 20);
    jb.pop();
  }
  assert.equal(jb.stats().spikeMs, 0);
  assert.ok(jb.targetFrames <= before, `target ${jb.targetFrames}, was ${before}`);
  assert.equal(jb.stats().dropped, 0);
});

Deno.test("a lasting shift of the path's delay stops counting as lateness within a second", () => {
  // From packet 50 on every packet is 80 ms later than before, for good: not a burst.
  const { jb } = talk(450, (s) => (s >= 50 ? 80 : 0));
  // Taken for a stall at first; calm from a second later: 80 → 60 → 0 ms by 8 s.
  assert.equal(jb.stats().spikeMs, 0);
  assert.equal(jb.stats().dropped, 0);
});

/**
 * A talk with tick times, played as lib/voice/playout.ts plays it: packet `s` arrives
 * at `arrive(s)` ms; ticks come every 20 ms at `phase` ms past the 20 ms grid; a
 * `deficit` is answered with a tick of silence (`hold`), a `surplus` with a skip, and
 * with `trim` a tick is played `trimMs` shorter whenever the buffer allows it. Tick `t`
 * and every later one come `stall(t)` ms later (the sound server stalled).
 * Returns each played frame's wait (pop time − arrival), the losses and the holds.
 */
function timedTalk(
  frames: number,
  arrive: (s: number) => number,
  phase = 7,
  trim = false,
  stall: (tick: number) => number = () => 0,
) {
  const jb = new JitterBuffer();
  const arrivals = Array.from({ length: frames }, (_, s) => ({ s, at: arrive(s) }))
    .sort((a, b) => a.at - b.at);
  const waits: number[] = [];
  let lost = 0;
  let held = 0;
  let trims = 0;
  let next = 0;
  let step = 20;
  for (let tick = 0, now = phase; tick < frames + 60; tick++, now += step) {
    step = 20;
    now += stall(tick);
    while (next < arrivals.length && arrivals[next].at <= now) {
      jb.push(arrivals[next].s, pkt(arrivals[next].s), arrivals[next].at);
      next++;
    }
    if (jb.deficit) {
      jb.hold();
      held++;
      continue;
    }
    const pop = jb.pop(now);
    if (pop.kind === "frame") waits.push(now - arrive(pop.seq));
    else if (pop.kind === "lost" && pop.seq < frames) lost++;
    if (jb.surplus) jb.pop(now);
    // As the player does: a silent tick ends when a waiting spurt will be due.
    const cut = trim && pop.kind === "waiting" ? silentTickCut(jb.startsInMs(now)) : 0;
    if (cut > 0) {
      step -= cut;
      trims++;
      continue;
    }
    const ms = trim && pop.kind === "frame" ? jb.trimMs : 0;
    if (ms > 0) {
      jb.trimmed(ms);
      step -= ms;
      trims++;
    }
  }
  return { jb, waits, lost, held, trims };
}

/** Deterministic jitter in [0, 1) per packet. */
const noise = (s: number) => ((s * 7919) % 101) / 101;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("with tick times, a calm path plays one frame deep (no second frame of delay)", () => {
  // 0–3 ms of jitter: the RFC 3550 estimate settles near 1 ms.
  const { jb, waits, lost } = timedTalk(1000, (s) => s * 20 + 3 * noise(s));
  assert.equal(lost, 0);
  // The start assumes a frame of jitter; after 10 s of calm it is given back.
  const settled = waits.slice(550);
  // One frame deep: each frame waits less than a frame for its tick.
  assert.ok(Math.max(...settled) < 20, `waits up to ${Math.max(...settled).toFixed(1)} ms`);
  assert.ok(jb.coverMs < 10, `cover ${jb.coverMs} ms`);
  // Without tick times the same path is held two frames deep.
  const old = new JitterBuffer();
  let depthSum = 0;
  for (let s = 0; s < 1000; s++) {
    old.push(s, pkt(s), s * 20 + 3 * noise(s));
    old.pop();
    if (s >= 200) depthSum += old.stats().depth;
  }
  assert.equal(old.targetFrames, 2);
  assert.ok(depthSum / 800 >= 1, `depth ${depthSum / 800}`);
});

Deno.test("with tick times, the depth grows back when the jitter does, then falls again", () => {
  // Calm for 12 s, then 10 s where every other packet is 10–25 ms late, then 28 s calm.
  const late = (s: number) => s >= 600 && s < 1100 && s % 2 === 1;
  const { waits, lost, held } = timedTalk(
    2500,
    (s) => s * 20 + 2 * noise(s) + (late(s) ? 10 + 15 * noise(s) : 0),
  );
  assert.ok(held >= 1, "a tick of silence deepened the buffer");
  // Growing back costs at most a couple of concealed frames, not one per late packet.
  assert.ok(lost <= 2, `${lost} frames concealed`);
  const jittery = waits.slice(800, 1050);
  // Given back once the path has been calm for 10 s and the slack shows it for 10 s.
  const calmAgain = waits.slice(-300);
  assert.ok(mean(jittery) > 20, `waits ${mean(jittery).toFixed(1)} ms while jittery`);
  assert.ok(mean(calmAgain) < mean(jittery), "the extra depth is given back once calm");
});

Deno.test("with tick times, a stall's spike still holds the depth it needs", () => {
  // A 100 ms stall at 4 s, its backlog delivered at once; a second one 4 s later.
  const stall = (s: number, at: number) => s >= at && s < at + 5 ? (at + 5 - s) * 20 : 0;
  const { lost } = timedTalk(800, (s) => s * 20 + noise(s) + stall(s, 200) + stall(s, 400));
  // The first stall is concealed (nothing foretold it); the second is ridden out.
  const second = timedTalk(800, (s) => s * 20 + noise(s) + stall(s, 200));
  assert.equal(lost, second.lost, "the second stall concealed nothing more");
});

Deno.test("startsInMs: when a waiting spurt will have waited its cover", () => {
  const jb = new JitterBuffer();
  assert.equal(jb.startsInMs(0), Infinity, "nothing waits");
  // Before jitter is measured the cover is 2 × half a frame.
  assert.equal(jb.coverMs, 20);
  jb.push(0, pkt(0), 100);
  assert.equal(jb.startsInMs(105), 15);
  assert.equal(show(jb.pop(105)), "w");
  // A frame that came sooner for its number shows the path can deliver earlier.
  jb.push(1, pkt(1), 112);
  assert.equal(jb.startsInMs(110), 112 - 20 + jb.coverMs - 110);
  assert.equal(show(jb.pop(125)), "f0*");
  assert.equal(jb.startsInMs(125), Infinity, "playing");
});

Deno.test("with trims, a talk starts when its cover has passed, not at the tick's phase", () => {
  // Ticks 19 ms after the arrivals: without cutting the silent tick before the start,
  // the first frame waits its 20 ms cover and 19 more for the tick.
  const arrive = (s: number) => s * 20;
  const plain = timedTalk(200, arrive, 19);
  const trimmed = timedTalk(200, arrive, 19, true);
  const start = (w: number[]) => w.slice(0, 25);
  assert.ok(Math.min(...start(plain.waits)) >= 39, `waits ${start(plain.waits)}`);
  assert.ok(Math.max(...start(trimmed.waits)) <= 21, `waits ${start(trimmed.waits)}`);
  assert.equal(plain.lost, 0);
  assert.equal(trimmed.lost, 0);
});

Deno.test("with trims, the start's extra frame is given back after 2 s, not 10", () => {
  const arrive = (s: number) => s * 20 + 3 * noise(s);
  const plain = timedTalk(1000, arrive);
  const trimmed = timedTalk(1000, arrive, 7, true);
  assert.equal(plain.lost, 0);
  assert.equal(trimmed.lost, 0);
  assert.ok(trimmed.trims >= 1);
  // Seconds 3 to 9 of the talk: a frame deeper without trims, not with them.
  const early = (w: number[]) => mean(w.slice(150, 450));
  assert.ok(early(plain.waits) > 20, `waits ${early(plain.waits).toFixed(1)} ms without trims`);
  assert.ok(early(trimmed.waits) < 20, `waits ${early(trimmed.waits).toFixed(1)} ms with trims`);
});

Deno.test("with trims, a frame waits the jitter and a margin, not the tick's phase", () => {
  const arrive = (s: number) => s * 20 + 3 * noise(s);
  // Ticks 18 ms past the arrivals: one frame deep, every frame still waits ~17 ms.
  const plain = timedTalk(1500, arrive, 18);
  const trimmed = timedTalk(1500, arrive, 18, true);
  const settled = (w: number[]) => w.slice(-500);
  assert.ok(Math.min(...settled(plain.waits)) > 14, "without trims the phase is kept");
  // 2 × jitter (≈ 2–3 ms) + the 10 ms margin + the 0–3 ms noise.
  const most = Math.max(...settled(trimmed.waits));
  assert.ok(most < 17, `waits up to ${most.toFixed(1)} ms with trims`);
  assert.equal(trimmed.lost, 0);
});

Deno.test("with trims, a path that turns jittery grows the depth back", () => {
  const late = (s: number) => s >= 500 && s < 1000 && s % 2 === 1;
  const { waits, lost, held } = timedTalk(
    2000,
    (s) => s * 20 + 2 * noise(s) + (late(s) ? 10 + 15 * noise(s) : 0),
    7,
    true,
  );
  assert.ok(held >= 1, "a tick of silence deepened the buffer");
  assert.ok(lost <= 2, `${lost} frames concealed`);
  assert.ok(mean(waits.slice(700, 950)) > 20, "deeper while jittery");
});

Deno.test("with trims, a stall of the sound server is given back within a second, not 10", () => {
  const arrive = (s: number) => s * 20 + 3 * noise(s);
  // Twice the device takes a tick 20 ms late (as PulseAudio did in a recorded run).
  const stall = (tick: number) => tick === 700 || tick === 705 ? 20 : 0;
  const { waits, lost } = timedTalk(1500, arrive, 7, true, stall);
  assert.equal(lost, 0);
  const before = mean(waits.slice(500, 690));
  const after = mean(waits.slice(760, 1000));
  assert.ok(after < before + 5, `waits ${before.toFixed(1)} ms before, ${after.toFixed(1)} after`);
  // A tick 8 ms late and the next one on time, over and over, is the player waking late
  // and catching up: the schedule has not moved, and nothing is cut for it.
  const wakesLate = (tick: number) => tick < 700 ? 0 : tick % 2 === 0 ? 8 : -8;
  const caught = timedTalk(1500, arrive, 7, true, wakesLate);
  assert.equal(caught.lost, 0);
  assert.ok(Math.min(...caught.waits.slice(760, 1000)) > 2, "frames still wait their margin");
});
