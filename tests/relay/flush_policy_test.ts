import assert from "node:assert/strict";
import {
  DEFAULT_FLUSH_POLICY,
  type FlushPolicy,
  isBusy,
  RATE_PERIOD_MS,
  RateMeter,
} from "../../lib/relay/flush_policy.ts";
import { Coalescer } from "../../lib/relay/coalescer.ts";

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
  assert.equal(coalescer.hold(() => ran.push(0)), false, "quiet: the caller flushes");
  for (let i = 0; i < 1000; i++) coalescer.note();
  now = RATE_PERIOD_MS; // 4,000 a second over the period
  const turn = Promise.withResolvers<void>();
  assert.equal(coalescer.hold(() => ran.push(1)), true);
  assert.equal(coalescer.hold(() => (ran.push(2), turn.resolve())), true);
  assert.equal(ran.length, 0, "held until the turn");
  await turn.promise;
  assert.deepEqual(ran, [1, 2], "both at one turn, in order");
  now = 2 * RATE_PERIOD_MS + 60_000; // nothing counted since: quiet again
  assert.equal(coalescer.hold(() => ran.push(3)), false);
});
