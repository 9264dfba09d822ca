/**
 * Unit tests of how the load generator checks its own limit (bench/gen_limit.ts)
 * and where a ladder's knee is put (bench/fanout.ts): a run whose generator core
 * was over 85 % busy is generator-bound, a ladder claims no knee at or above
 * such a run, and opening messages stays within its budget. Pure code; the runs
 * are plain records.
 *
 * @module
 */

import assert from "node:assert/strict";
import { kneeOf } from "../bench/fanout.ts";
import { OPEN_BUDGET, openPlan } from "../bench/sample.ts";
import type { FanoutResult } from "../bench/fanout_result.ts";
import {
  allowedCores,
  GENERATOR_BOUND_SHARE,
  generatorBusy,
  isGeneratorBound,
} from "../bench/gen_limit.ts";

Deno.test("allowedCores: reads a process's affinity list", () => {
  assert.deepEqual(allowedCores("Name:\tdeno\nCpus_allowed_list:\t1\n"), [1]);
  assert.deepEqual(allowedCores("Cpus_allowed_list:\t0-3\n"), [0, 1, 2, 3]);
  assert.deepEqual(allowedCores("Cpus_allowed_list:\t0,2-3,6\n"), [0, 2, 3, 6]);
  assert.deepEqual(allowedCores("Name:\tdeno\n"), []);
  const own = allowedCores(Deno.readTextFileSync("/proc/self/status"));
  assert.ok(own.length >= 1, "this process runs somewhere");
});

Deno.test("generatorBusy: the busiest own core, else the process's share", () => {
  assert.equal(generatorBusy([0.99, 0.4], [1], 0.3), 0.4);
  assert.equal(generatorBusy([0.2, 0.5, 0.9], [1, 2], 0.3), 0.9);
  assert.equal(generatorBusy([0.99, 0.4], [], 0.3), 0.3, "not pinned apart: its own CPU share");
});

Deno.test("isGeneratorBound: above 85 % busy", () => {
  assert.equal(GENERATOR_BOUND_SHARE, 0.85);
  assert.equal(isGeneratorBound(0.85), false);
  assert.equal(isGeneratorBound(0.851), true);
  assert.equal(isGeneratorBound(0.5, 0.4), true);
});

const run = (rate: number, sustained: boolean, generatorBound = false) =>
  ({ rate, sustained, generatorBound }) as FanoutResult;

Deno.test("kneeOf: the last sustained step before a miss", () => {
  assert.deepEqual(kneeOf([run(200, true), run(800, true), run(1600, false)]), {
    rate: 800,
    generatorBound: false,
  });
  assert.deepEqual(kneeOf([run(200, true), run(800, true)]), { rate: 800, generatorBound: false });
  assert.deepEqual(kneeOf([run(200, false)]), { rate: null, generatorBound: false });
});

Deno.test("kneeOf: no knee at or above a generator-bound step, sustained or not", () => {
  assert.deepEqual(kneeOf([run(200, true), run(800, true, true), run(1600, true)]), {
    rate: 200,
    generatorBound: true,
  });
  assert.deepEqual(kneeOf([run(200, true, true)]), { rate: null, generatorBound: true });
  assert.deepEqual(kneeOf([run(200, true), run(800, false, true)]), {
    rate: 200,
    generatorBound: true,
  });
});

Deno.test("openPlan: opening stays within its budget at every rate", () => {
  assert.deepEqual(openPlan(20, 40), { openers: 2, every: 1 }, "light load: every message");
  assert.deepEqual(openPlan(1, 40), { openers: 1, every: 1 });
  assert.deepEqual(openPlan(0, 40).openers, 0);
  for (const rate of [200, 800, 3200, 9600, 20000]) {
    const { openers, every } = openPlan(20, rate);
    assert.ok((rate / every) * openers <= OPEN_BUDGET, `rate ${rate}`);
    assert.ok(
      (rate / (every - 1 || 1)) * openers > OPEN_BUDGET || every === 1,
      "no sparser than needed",
    );
  }
});
