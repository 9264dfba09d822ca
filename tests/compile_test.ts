// `deno compile` of both executables for this machine's target, then the real
// binaries exchange a message. deno compile embeds a runtime ("denort") that it
// downloads from dl.deno.land; machines that cannot reach it skip this test.
import assert from "node:assert/strict";
import { ClientProcess, testDir } from "./support/harness.ts";

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
    const relay = new Deno.Command(server, {
      args: ["--host", "127.0.0.1", "--port", "0", "--data-dir", testDir("relay-")],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Clients connect once the relay says where it listens (the system picks the port).
    const log = relay.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let logged = "";
    let listening: RegExpExecArray | null = null;
    while (!(listening = / listening address=\S+:(\d+)/.exec(logged))) {
      const { value, done } = await log.read();
      assert.ok(!done, `the relay exited before listening: ${logged}`);
      logged += value;
    }
    const port = Number(listening[1]);
    // Keep draining its log so that the relay never blocks on a full pipe.
    (async () => {
      while (!(await log.read()).done);
    })().catch(() => {});
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
