import assert from "node:assert/strict";
import { ClientProcess } from "../support/harness.ts";
import { DENO, RELAY_RUN_ARGS, testDir, TextSink } from "../support/test_env.ts";
import {
  clientsWithin,
  fitMaxClients,
  raiseOpenFileLimit,
} from "../../lib/relay/descriptor_limit.ts";
import tls from "node:tls";

/** A relay process (`deno run`, as shipped) under `ulimit LIMIT` ("-n 96", "-S -n 96"). */
function relayUnder(limit: string, args: string[]) {
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit ${limit} && exec "$@"`,
      "relay",
      DENO,
      ...RELAY_RUN_ARGS,
      ...["--host", "127.0.0.1", "--port", "0", "--no-web", ...args],
    ],
    env: { XDG_STATE_HOME: testDir("state-") },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const state = { exited: false };
  child.status.then(() => state.exited = true);
  const log = new TextSink(child.stderr);
  const port = async () => {
    await log.until(() => / listening address=\S+:\d+/.test(log.text), 15000, "the relay");
    return Number(/ listening address=\S+:(\d+)/.exec(log.text)![1]);
  };
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await log.done;
  };
  return { log, state, port, stop };
}

Deno.test("the clients an open-file limit holds, and raising the soft limit to the hard one", () => {
  // 1024 descriptors: 64 kept for the relay, an eighth for connections being refused.
  assert.equal(clientsWithin(1024), 832);
  assert.equal(fitMaxClients(10000, 1024), 832);
  assert.equal(fitMaxClients(500, 1024), 500);
  assert.equal(fitMaxClients(10000, null), 10000);
  assert.equal(clientsWithin(10), 1, "never below one");
  const limit = raiseOpenFileLimit();
  if (Deno.build.os === "linux") assert.ok(limit !== null && limit > 0, `limit ${limit}`);
  else assert.equal(limit, null);
});

Deno.test("a relay raises a low soft open-file limit to the hard one and keeps its client limit", async () => {
  // 96 descriptors hold 20 clients; the hard limit (hundreds at least) holds 50.
  const relay = relayUnder("-S -n 96", ["--no-tls", "--max-clients", "50"]);
  try {
    await relay.port();
    assert.doesNotMatch(relay.log.text, /max-clients-lowered/);
  } finally {
    await relay.stop();
  }
});

Deno.test("under a low open-file limit a TLS relay serves fewer clients, refuses the rest and keeps accepting", async () => {
  const relay = relayUnder("-n 96", ["--data-dir", testDir("relay-")]);
  const held: tls.TLSSocket[] = [];
  try {
    const port = await relay.port();
    assert.match(
      relay.log.text,
      / max-clients-lowered from=10000 to=20 reason="the open-file limit is 96/,
    );
    // One after another, more TLS connections than it has descriptors: past the lowered
    // limit the relay turns them away (server-full) and so never runs out. Without the
    // lower limit, it would run out and its TLS listener would stop accepting for good.
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
      socket.on("error", () => {});
      // Read what comes (a refusal, then the end), so that the end is seen.
      socket.resume();
      const closed = new Promise<"closed">((resolve) =>
        socket.once("close", () => resolve("closed"))
      );
      held.push(socket);
      if (i < 20) {
        const first = await Promise.race([
          new Promise<"open">((resolve) => socket.once("secureConnect", () => resolve("open"))),
          closed,
        ]);
        assert.equal(first, "open", `connection ${i + 1} was turned away`);
      } else {
        // Turned away, and closed: its descriptor is free again.
        await closed;
        refused++;
      }
    }
    await relay.log.until(
      () => (relay.log.text.match(/code=server-full/g) ?? []).length >= 80,
      10000,
      "80 refusals logged",
    );
    assert.equal(refused, 80);
    for (const s of held.splice(0)) s.destroy();
    const ann = ClientProcess.start(port, { nick: "ann" });
    try {
      await ann.ready();
    } finally {
      await ann.kill("SIGTERM");
    }
    assert.ok(!relay.state.exited, "the relay is still up");
  } finally {
    for (const s of held) s.destroy();
    await relay.stop();
  }
});
