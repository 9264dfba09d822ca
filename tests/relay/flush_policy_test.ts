import assert from "node:assert/strict";
import {
  DEFAULT_FLUSH_POLICY,
  type FlushPolicy,
  isBusy,
  RATE_PERIOD_MS,
  RateMeter,
} from "../../lib/relay/flush_policy.ts";
import { Coalescer } from "../../lib/relay/coalescer.ts";
import { SLICE } from "../../lib/relay/slices.ts";

const policy: FlushPolicy = { windowMs: 20, busyRate: 10_000 };

Deno.test("busy from the threshold up, and until the rate falls below half of it", () => {
  assert.equal(isBusy(0, false, policy), false);
  assert.equal(isBusy(9_999, false, policy), false);
  assert.equal(isBusy(10_000, false, policy), true);
  assert.equal(isBusy(6_000, true, policy), true, "hysteresis keeps it busy");
  assert.equal(isBusy(4_999, true, policy), false);
  assert.equal(isBusy(6_000, false, policy), false, "not busy yet at 6,000");
});

Deno.test("a zero window never coalesces, whatever the rate", () => {
  const off = { ...policy, windowMs: 0 };
  assert.equal(isBusy(1e9, false, off), false);
  assert.equal(isBusy(1e9, true, off), false);
});

Deno.test("default policy: light chats are far below the threshold", () => {
  // 50 people each sending a text a second reach 2,450 deliveries a second.
  assert.equal(isBusy(50 * 49, false, DEFAULT_FLUSH_POLICY), false);
  assert.ok(DEFAULT_FLUSH_POLICY.windowMs > 0 && DEFAULT_FLUSH_POLICY.windowMs <= 20);
});

Deno.test("the meter gives events a second over the last finished period", () => {
  const meter = new RateMeter(1000);
  for (let i = 0; i < 500; i++) meter.note();
  assert.equal(meter.rate(1000 + RATE_PERIOD_MS - 1), 0, "first period not finished");
  assert.equal(meter.rate(1000 + RATE_PERIOD_MS), 500 * 1000 / RATE_PERIOD_MS);
  // Within the next period the last figure holds; counting starts afresh.
  for (let i = 0; i < 10; i++) meter.note();
  assert.equal(meter.rate(1000 + RATE_PERIOD_MS + 10), 2000);
});

Deno.test("a long quiet spell reads as quiet, not as the last busy period", () => {
  const meter = new RateMeter(0);
  for (let i = 0; i < 5000; i++) meter.note();
  assert.equal(meter.rate(RATE_PERIOD_MS), 20_000);
  meter.note();
  assert.equal(meter.rate(RATE_PERIOD_MS + 10_000), 0.1);
});

Deno.test("the coalescer holds nothing while quiet and one turn's flushes while busy", async () => {
  let now = 0;
  const coalescer = new Coalescer({ windowMs: 5, busyRate: 1000 }, () => now);
  const ran: number[] = [];
  assert.equal(coalescer.hold(() => void ran.push(0)), false, "quiet: the caller flushes");
  for (let i = 0; i < 1000; i++) coalescer.note();
  now = RATE_PERIOD_MS; // 4,000 a second over the period
  const turn = Promise.withResolvers<void>();
  assert.equal(coalescer.hold(() => void ran.push(1)), true);
  assert.equal(coalescer.hold(() => void (ran.push(2), turn.resolve())), true);
  assert.equal(ran.length, 0, "held until the turn");
  await turn.promise;
  assert.deepEqual(ran, [1, 2], "both at one turn, in order");
  now = 2 * RATE_PERIOD_MS + 60_000; // nothing counted since: quiet again
  assert.equal(coalescer.hold(() => void ran.push(3)), false);
});

/** A timer the test fires by hand, so that turns come exactly when it says. */
function handTimer() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  const later: (() => void)[] = [];
  let next = 0;
  return {
    pending,
    set: (fn: () => void, ms: number) => (pending.set(++next, { fn, ms }), next),
    clear: (handle: unknown) => void pending.delete(handle as number),
    later,
    soon: (fn: () => void) => void later.push(fn),
    /** Fires the one pending timer; returns the delay it was set for. */
    fire(): number {
      assert.equal(pending.size, 1, "one timer pending");
      const [[id, { fn, ms }]] = pending;
      pending.delete(id);
      fn();
      return ms;
    },
  };
}

/** A coalescer on a hand-driven timer and clock (`clock.now`), already busy. */
function busyCoalescer() {
  const clock = { now: 0 };
  const timer = handTimer();
  const coalescer = new Coalescer({ windowMs: 5, busyRate: 1000 }, () => clock.now, timer);
  for (let i = 0; i < 1000; i++) coalescer.note();
  clock.now = RATE_PERIOD_MS;
  return { clock, timer, coalescer };
}

Deno.test("a turn waits for the last turn's writes, for at most a second window", async () => {
  const { clock, timer, coalescer } = busyCoalescer();
  const writing = Promise.withResolvers<void>();
  const ran: string[] = [];
  coalescer.hold(() => (ran.push("a"), writing.promise));
  assert.equal(timer.fire(), 5, "the first turn comes one window after the first hold");
  assert.deepEqual(ran, ["a"]);

  coalescer.hold(() => void ran.push("b"));
  clock.now += 5;
  assert.equal(timer.fire(), 5);
  assert.deepEqual(ran, ["a"], "put off: the last turn's write is still under way");
  assert.equal(timer.pending.size, 1, "until the end of a second window at most");
  clock.now += 2;
  writing.resolve();
  await writing.promise;
  await Promise.resolve();
  assert.deepEqual(ran, ["a", "b"], "taken as soon as that write ends");
  assert.equal(timer.pending.size, 0, "and its fallback timer cleared");

  // A write that never ends (a reader that stopped) delays the turns by one window, no more.
  coalescer.hold(() => (ran.push("c"), new Promise<void>(() => {})));
  timer.fire();
  coalescer.hold(() => void ran.push("d"));
  clock.now += 5;
  timer.fire();
  assert.deepEqual(ran, ["a", "b", "c"]);
  clock.now += 5;
  assert.equal(timer.fire(), 5, "the fallback, a second window after the first hold");
  assert.deepEqual(ran, ["a", "b", "c", "d"]);
});

Deno.test("a few writes that do not end hold up no turn", () => {
  const { clock, timer, coalescer } = busyCoalescer();
  let ran = 0;
  coalescer.hold(() => (ran++, new Promise<void>(() => {}))); // a reader that stopped
  for (let i = 1; i < 32; i++) coalescer.hold(() => void ran++);
  timer.fire();
  assert.equal(ran, 32);
  coalescer.hold(() => void ran++);
  clock.now += 5;
  timer.fire();
  assert.equal(ran, 33, "one write of 32 still under way: the turn is taken on time");
});

Deno.test("a turn of many readers starts their writes in slices, one event-loop turn each", () => {
  const { timer, coalescer } = busyCoalescer();
  let started = 0;
  const readers = 2 * SLICE + 44;
  for (let i = 0; i < readers; i++) coalescer.hold(() => void started++);
  timer.fire();
  assert.equal(started, SLICE, "the first slice in the turn itself");
  assert.equal(timer.later.length, 1);
  timer.later.shift()!();
  assert.equal(started, 2 * SLICE);
  timer.later.shift()!();
  assert.equal(started, readers, "the rest in the next turns");
  assert.equal(timer.later.length, 0);
});

Deno.test("an open window takes every hold until its turn without reading the clock", () => {
  const { clock, timer, coalescer } = busyCoalescer();
  const ran: number[] = [];
  assert.equal(coalescer.hold(() => void ran.push(1)), true, "opens the window");
  // Quiet from now on by the rate, and the clock would say so: the window is open
  // all the same, and its turn is the one already set.
  let reads = 0;
  Object.defineProperty(clock, "now", { get: () => (reads++, 10 * RATE_PERIOD_MS + 60_000) });
  assert.equal(coalescer.hold(() => void ran.push(2)), true, "joins the open window");
  assert.equal(reads, 0, "no clock read for a hold that joins");
  assert.equal(timer.pending.size, 1, "still one turn");
  timer.fire();
  assert.deepEqual(ran, [1, 2]);
  assert.equal(coalescer.hold(() => void ran.push(3)), false, "next window: the rate says quiet");
});
