// The two executables as a user meets them: help, version, mistakes on the command
// line, a port in use, settings from the environment, and a missing passphrase.
import assert from "node:assert/strict";
import { ClientProcess, freePort, RelayProcess, testDir } from "./support/harness.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false };

async function run(entry: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}${entry}`, ...args],
    // Its own state directory: a relay run here must not make a certificate in the user's.
    env: { NO_COLOR: "1", XDG_STATE_HOME: testDir("state-"), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

function assertOneCleanLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got: ${stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /\bat .*\.ts:\d+|Stack backtrace|Uncaught/);
}

for (const entry of ["server.ts", "client.ts"]) {
  Deno.test(`${entry}: --help lists the options; --version prints the version`, async () => {
    const help = await run(entry, ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^am-(server|client) \d+\.\d+\.\d+/);
    assert.match(help.stdout, /--help/);
    assert.match(help.stdout, entry === "server.ts" ? /--max-frame/ : /--passphrase-file/);
    const version = await run(entry, ["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^am-(server|client) \d+\.\d+\.\d+$/);
  });

  Deno.test(`${entry}: an unknown flag is one clear line and a non-zero exit`, async () => {
    const r = await run(entry, ["--bogus"]);
    assert.notEqual(r.code, 0);
    assertOneCleanLine(r.stderr, /am-(server|client): .*--bogus.*see --help/);
  });
}

Deno.test(
  "am-server: bad values and a port in use are one line each, exit non-zero",
  opts,
  async () => {
    const bad = await run("server.ts", ["--port", "70000"]);
    assert.notEqual(bad.code, 0);
    assertOneCleanLine(bad.stderr, /--port must be a whole number from 0 to 65535/);
    const duplex = await run("server.ts", ["--duplex", "quarter"]);
    assertOneCleanLine(duplex.stderr, /--duplex must be one of half, full/);
    const relay = await RelayProcess.start();
    const busy = await run("server.ts", ["--host", "127.0.0.1", "--port", String(relay.port)]);
    assert.notEqual(busy.code, 0);
    assertOneCleanLine(busy.stderr, new RegExp(`port ${relay.port} is already in use`));
    await relay.stop();
  },
);

Deno.test("am-server: settings come from AM_* variables, and flags win", opts, async () => {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}server.ts`, "--host", "127.0.0.1"],
    env: { AM_PORT: String(port), AM_DUPLEX: "full", AM_HOST: "0.0.0.0" },
    stderr: "piped",
    stdout: "null",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  while (!log.includes("listening")) log += (await reader.read()).value ?? "";
  assert.match(log, new RegExp(`listening address=127\\.0\\.0\\.1:${port} duplex=full`));
  child.kill("SIGTERM");
  await reader.cancel();
  assert.equal((await child.status).code, 0);
});

Deno.test("am-client: no passphrase and no terminal is a clear error", opts, async () => {
  const r = await run("client.ts", ["127.0.0.1:1", "--nick", "a"]);
  assert.notEqual(r.code, 0);
  assertOneCleanLine(r.stderr, /no passphrase: give --passphrase-file FILE or set AM_PASSPHRASE/);
});

Deno.test("am-client: an unreachable relay is reported as such", opts, async () => {
  const port = freePort();
  const c = ClientProcess.start(port, { nick: "a" });
  const status = await c.finish();
  assert.notEqual(status.code, 0);
  assert.ok(
    c.events.some((e) => e.event === "error" && e.code === "unreachable"),
    JSON.stringify(c.events),
  );
  assert.doesNotMatch(c.stderr, /Stack backtrace|\bat .*\.ts:\d+/);
});

Deno.test("am-client: a bad nick is refused before connecting", async () => {
  const r = await run("client.ts", ["127.0.0.1:1", "--nick", "bad nick"], { AM_PASSPHRASE: "x" });
  assert.notEqual(r.code, 0);
  assertOneCleanLine(r.stderr, /nick may hold only letters, digits/);
});

Deno.test("am-client: the passphrase file is read", opts, async () => {
  const relay = await RelayProcess.start();
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/pass`, "file passphrase\n");
  const a = ClientProcess.start(relay.port, { nick: "a", passphrase: "file passphrase" });
  const b = ClientProcess.start(relay.port, {
    nick: "b",
    passphrase: null,
    args: ["--passphrase-file", `${dir}/pass`],
  });
  await Promise.all([a.ready(), b.ready()]);
  await b.send("same key");
  await a.waitFor(
    (e) => e.event === "text" && e.text === "same key",
    "text sealed with the file's passphrase",
  );
  await Promise.all([a.finish(), b.finish()]);
  await relay.stop();
  await Deno.remove(dir, { recursive: true });
});
