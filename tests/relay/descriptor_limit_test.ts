import assert from "node:assert/strict";
import { ClientProcess } from "../support/harness.ts";
import { DENO, RELAY_RUN_ARGS, testDir, TextSink } from "../support/test_env.ts";

Deno.test("a relay out of file descriptors pauses accepting and stays up; it accepts again once some close", async () => {
  // A real relay process, plain TCP (Deno's own listener), under a descriptor limit of 96.
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      'ulimit -n 96 && exec "$@"',
      "relay",
      DENO,
      ...RELAY_RUN_ARGS,
      ...["--host", "127.0.0.1", "--port", "0", "--no-tls", "--no-web"],
    ],
    env: { XDG_STATE_HOME: testDir("state-") },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const log = new TextSink(child.stderr);
  const conns: Deno.Conn[] = [];
  try {
    await log.until(() => / listening address=\S+:\d+/.test(log.text), 15000, "the relay");
    const port = Number(/ listening address=\S+:(\d+)/.exec(log.text)![1]);
    // More connections than descriptors: the kernel queues them, the relay cannot take them all.
    for (let i = 0; i < 120; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await log.until(() => / accept-paused /.test(log.text), 15000, "the relay to pause");
    assert.match(log.text, /reason="out of file descriptors: raise the limit \(ulimit -n\)/);
    assert.ok(!exited, `the relay exited: ${log.text.slice(-400)}`);
    for (const c of conns.splice(0)) c.close();
    // Once descriptors are free again, a real client joins.
    const ann = ClientProcess.start(port, { nick: "ann", args: ["--no-tls"] });
    try {
      await ann.ready();
    } finally {
      await ann.kill("SIGTERM");
    }
    assert.ok(!exited, "the relay is still up");
  } finally {
    for (const c of conns) c.close();
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await log.done;
  }
});
