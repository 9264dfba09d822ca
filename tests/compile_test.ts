// `deno compile` of both executables for this machine's target, then the real
// binaries exchange a message. deno compile embeds a runtime ("denort") that it
// downloads from dl.deno.land; machines that cannot reach it skip this test.
import assert from "node:assert/strict";
import { ClientProcess, freePort, testDir } from "./support/harness.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const target = Deno.build.target;
const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`;
const runtime = Deno.env.get("DENORT_BIN") ?? cached;
const haveRuntime = await Deno.stat(runtime).then(() => true, () => false);
if (!haveRuntime) {
  console.log(
    `compile_test: skipped: deno compile needs its runtime (${runtime}), which this machine ` +
      "cannot download; set DENORT_BIN to a denort binary to run it",
  );
}

Deno.test({
  name: "deno compile: am-server and am-client binaries run and talk to each other",
  ignore: !haveRuntime,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const build = await new Deno.Command("bash", {
      args: [`${ROOT}scripts/compile.sh`, "native"],
      env: { DENO: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(build.success, new TextDecoder().decode(build.stderr));
    const server = `${ROOT}dist/am-server-${target}`;
    const client = `${ROOT}dist/am-client-${target}`;
    for (const bin of [server, client]) {
      const v = await new Deno.Command(bin, { args: ["--version"], stdout: "piped" }).output();
      assert.match(new TextDecoder().decode(v.stdout), /^am-(server|client) \d+\.\d+\.\d+/);
    }
    const port = freePort();
    const relay = new Deno.Command(server, {
      args: ["--host", "127.0.0.1", "--port", String(port), "--data-dir", testDir("relay-")],
      stderr: "null",
    }).spawn();
    await new Promise((r) => setTimeout(r, 500));
    const bob = ClientProcess.start(port, { nick: "bob", binary: client });
    await bob.ready();
    const alice = ClientProcess.start(port, { nick: "alice", binary: client });
    await alice.ready();
    await alice.send("from a compiled binary");
    await bob.waitFor((e) => e.event === "text", "text");
    await Promise.all([alice.finish(), bob.finish()]);
    relay.kill("SIGTERM");
    assert.equal((await relay.status).code, 0);
  },
});
