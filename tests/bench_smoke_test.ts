/**
 * Smoke test of the benchmark load generator: a handful of clients, a few
 * messages, against a real relay process. It checks that the generator still
 * delivers, times and verifies (not how fast anything is), so `make test` notices
 * when the benchmarks break.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runFanout } from "../bench/fanout_run.ts";
import { runVoiceFanout } from "../bench/voice_fanout.ts";

Deno.test("bench generator: text fan-out delivers, times and verifies sealed messages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "am-bench-smoke-" });
  try {
    const r = await runFanout({
      server: "am",
      clients: 6,
      senders: 2,
      rate: 40,
      warmupMs: 100,
      measureMs: 500,
      drainMs: 1000,
      sample: 2,
      readPeriodMs: 5,
      serverCore: null,
      dir,
    });
    assert.ok(r.deliveriesPerSec > 0, "nothing was delivered");
    assert.equal(r.deliveredFraction, 1, "every message reaches every other client");
    assert.ok(r.p99Ms > 0 && Number.isFinite(r.p99Ms), "latency was measured");
    assert.equal(r.bytesPerDelivery, 100, "deliveries are matched to 100 bytes");
    assert.ok(r.verified > 0, "sample receivers opened messages");
    assert.equal(r.sample, 2);
    assert.ok(r.opened > 0, "sample receivers also opened messages with the real opener");
    assert.equal(r.rcvLowat, 4096, "the counting receivers' sockets took the low-water mark");
    assert.equal(r.verifyFailed, 0);
    assert.equal(r.lostClients, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench generator: voice fan-out delivers sealed Opus frames to listeners", async () => {
  const r = await runVoiceFanout(3, 400, 100);
  assert.ok(r.framesSent >= 20);
  assert.ok(r.onTimeFraction > 0, "frames reached the listeners");
  assert.ok(r.verified > 0, "verifying listeners opened frames");
  assert.equal(r.verifyFailed, 0);
  assert.equal(r.expectedPairs, r.framesSent * 3);
  assert.equal(r.checkedPairs, r.expectedPairs, "every listener checked every frame");
  assert.equal(r.failedPairs + r.missingPairs, 0);
});

Deno.test("bench generator: voice listeners on epoll sockets check every frame", async () => {
  const r = await runVoiceFanout(3, 400, 100, null, { listenerIo: "epoll" });
  assert.ok(r.framesSent >= 20);
  assert.ok(r.verified > 0, "verifying listeners opened frames");
  assert.equal(r.verifyFailed, 0);
  assert.equal(r.checkedPairs, r.framesSent * 3, "every listener checked every frame");
  assert.equal(r.failedPairs + r.missingPairs, 0);
});
