import assert from "node:assert/strict";
import { backoffDelay } from "../../lib/client/backoff.ts";

const low = () => 0;
const high = () => 0.999999;

Deno.test("bounds: delay lies in [ceiling/2, ceiling] and is never 0", () => {
  for (let attempt = 0; attempt < 30; attempt++) {
    const ceiling = Math.min(10_000, 250 * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${attempt}: ${d}`);
      assert.ok(d > 0);
    }
  }
});

Deno.test("growth: the ceiling doubles per attempt", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((a) => backoffDelay(a, { random: high })),
    [250, 500, 1000, 2000, 4000],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((a) => backoffDelay(a, { random: low })),
    [125, 250, 500, 1000, 2000],
  );
});

Deno.test("cap: never past maxMs, even for huge attempt numbers", () => {
  for (const attempt of [6, 10, 20, 21, 100, 1e6]) {
    assert.equal(backoffDelay(attempt, { random: high }), 10_000, `attempt ${attempt}`);
    assert.equal(backoffDelay(attempt, { random: low }), 5_000);
  }
  assert.equal(backoffDelay(50, { baseMs: 100, maxMs: 3000, random: high }), 3000);
  assert.equal(backoffDelay(0, { baseMs: 100, maxMs: 3000, random: high }), 100);
});

Deno.test("jitter: delays spread over the upper half of the ceiling", () => {
  const values = [0, 0.1, 0.25, 0.5, 0.75, 0.9];
  let i = 0;
  const random = () => values[i++];
  const delays = values.map(() => backoffDelay(3, { random }));
  // ceiling 2000: 1000 + r * 1000.
  assert.deepEqual(delays, [1000, 1100, 1250, 1500, 1750, 1900]);
  assert.equal(new Set(delays).size, values.length);
});
