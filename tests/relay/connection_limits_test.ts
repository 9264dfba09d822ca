import assert from "node:assert/strict";
import { ConnectionLimits } from "../../lib/relay/connection_limits.ts";
import { HeldTexts } from "../../lib/relay/held_texts.ts";

const RATES = {
  textRate: 10,
  textBurst: 20,
  voiceRate: 50,
  voiceBurst: 10,
  keyShareRate: 200,
  keyShareBurst: 600,
};

Deno.test("texts: the advertised burst plus a quarter second of rate, then refused", () => {
  const l = new ConnectionLimits(RATES);
  let passed = 0;
  while (l.text(0)) passed++;
  assert.equal(passed, 20 + Math.ceil(10 * 0.25));
  assert.equal(l.text(99), false);
  assert.equal(l.text(100), true, "one token back after 1/rate seconds");
});

Deno.test("voice over its rate is dropped, and the talker told at most once a second", () => {
  const l = new ConnectionLimits(RATES);
  for (let i = 0; i < 10; i++) assert.equal(l.voice(0), "pass");
  assert.equal(l.voice(0), "drop-and-tell");
  assert.equal(l.voice(1), "drop");
  assert.equal(l.voice(20), "pass", "a 20 ms cadence earns a token back");
  assert.equal(l.voice(20), "drop");
  for (let i = 0; i < 10; i++) assert.equal(l.voice(1001), "pass", "the burst is back");
  assert.equal(l.voice(1001), "drop-and-tell", "told again a second later");
});

Deno.test("malformed frames: a burst of 50 tolerated, then fatal", () => {
  const l = new ConnectionLimits(RATES);
  for (let i = 0; i < 50; i++) assert.equal(l.badFrame(0), true, `bad frame ${i}`);
  assert.equal(l.badFrame(0), false);
});

Deno.test("error log: one line a second, counting the ones left out", () => {
  const l = new ConnectionLimits(RATES);
  assert.equal(l.logError(0), 0);
  assert.equal(l.logError(10), null);
  assert.equal(l.logError(999), null);
  assert.equal(l.logError(1000), 2);
  assert.equal(l.logError(2500), 0);
});

Deno.test("held texts come after the history, which is cut at the byte budget", () => {
  const held = new HeldTexts();
  const f = (n: number, size: number) => new Uint8Array(size).fill(n);
  held.hold(f(8, 5));
  held.hold(f(9, 5));
  const out = held.release([f(1, 10), f(2, 10), f(3, 10)], 25);
  assert.deepEqual(out.map((x) => x[0]), [1, 2, 8, 9]);
});

Deno.test("key shares: a burst for one join, then dropped", () => {
  const l = new ConnectionLimits(RATES);
  for (let i = 0; i < RATES.keyShareBurst; i++) assert.ok(l.keyShare(0), `share ${i}`);
  assert.equal(l.keyShare(0), false, "one over the burst");
  assert.ok(l.keyShare(1000 / RATES.keyShareRate), "refilled at the rate");
});
