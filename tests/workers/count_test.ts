// The --workers value, and the one-line refusals of what cannot run.
import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { MAX_WORKERS, workerCount } from "../../lib/workers/count.ts";

Deno.test("--workers takes a count, or auto for one per CPU within the id ranges", () => {
  assert.equal(workerCount("1"), 1);
  assert.equal(workerCount("3"), 3);
  assert.equal(workerCount("auto", 4), 4);
  assert.equal(workerCount("auto", 64), MAX_WORKERS, "one member id range per worker");
  assert.equal(workerCount("auto", 0), 1, "a runtime that reports no CPUs gets one");
  for (const bad of ["0", "33", "two", "-1", ""]) {
    assert.throws(() => workerCount(bad), UsageError, bad);
  }
});

Deno.test("plain TCP workers without --unstable-net: one line saying what to do, exit 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../server.ts", import.meta.url).pathname,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-web",
      "--no-tls",
      "--workers",
      "2",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  assert.equal(out.code, 2);
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0], /^am-server: --workers with --no-tls needs Deno's --unstable-net flag/);
});
