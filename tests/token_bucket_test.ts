import assert from "node:assert/strict";
import { TokenBucket } from "../lib/token_bucket.ts";

Deno.test("starts full: burst tokens at once, then refused", () => {
  const b = new TokenBucket(2, 5, 0);
  for (let i = 0; i < 5; i++) assert.equal(b.take(0), true, `token ${i}`);
  assert.equal(b.take(0), false);
  assert.equal(b.waitMs(0), 500);
});

Deno.test("refills at `rate` a second", () => {
  const b = new TokenBucket(4, 1, 0);
  assert.equal(b.take(0), true);
  assert.equal(b.take(100), false);
  assert.equal(b.waitMs(100), 150);
  assert.equal(b.take(250), true);
  assert.equal(b.take(250), false);
  assert.equal(b.waitMs(250), 250);
});

Deno.test("never holds more than burst, however long it waits", () => {
  const b = new TokenBucket(10, 3, 0);
  for (let i = 0; i < 3; i++) b.take(0);
  let granted = 0;
  while (b.take(1_000_000)) granted++;
  assert.equal(granted, 3);
});

Deno.test("waitMs is 0 while a token is available and does not consume it", () => {
  const b = new TokenBucket(1, 2, 0);
  assert.equal(b.waitMs(0), 0);
  assert.equal(b.waitMs(0), 0);
  assert.equal(b.take(0), true);
  assert.equal(b.take(0), true);
  assert.equal(b.take(0), false);
  const wait = b.waitMs(999);
  // About 1 ms left (rounded up, so float error may make it 2, never less).
  assert.ok(wait >= 1 && wait <= 2, `waitMs ${wait}`);
  assert.equal(b.waitMs(1000), 0);
});

Deno.test("waiting exactly waitMs is always enough for the next take", () => {
  for (const [rate, burst] of [[1, 1], [3, 2], [0.5, 1], [7.6, 10], [40, 40]]) {
    const b = new TokenBucket(rate, burst, 0);
    let now = 0;
    while (b.take(now));
    for (let i = 0; i < 50; i++) {
      const wait = b.waitMs(now);
      assert.ok(wait > 0, `rate ${rate}: empty bucket must make us wait`);
      assert.equal(b.take(now + wait - 1), false, `rate ${rate}: not a ms early`);
      now += wait;
      assert.equal(b.take(now), true, `rate ${rate}: after ${wait} ms`);
    }
  }
});

Deno.test("a clock that goes backwards grants nothing extra", () => {
  const b = new TokenBucket(1, 1, 10_000);
  assert.equal(b.take(10_000), true);
  assert.equal(b.take(5_000), false);
  assert.equal(b.take(5_999), false);
  assert.equal(b.take(6_000), true);
});

Deno.test("long-run rate matches `rate`", () => {
  const b = new TokenBucket(5, 5, 0);
  let granted = 0;
  for (let t = 0; t <= 60_000; t += 10) if (b.take(t)) granted++;
  // 5 saved up plus 5/s for 60 s.
  assert.equal(granted, 5 + 300);
});
