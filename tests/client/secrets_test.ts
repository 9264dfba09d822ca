// The passphrase never shows: not in process listings (there is no option for
// it; one given anyway is refused without being echoed), not in the client's
// output or errors, not in the relay's log, and not inherited by child processes.
import assert from "node:assert/strict";
import { obtainPassphrase } from "../../lib/client/passphrase.ts";
import { ClientProcess, RelayProcess } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../..", import.meta.url).pathname;
const dec = new TextDecoder();

async function processListing(): Promise<string> {
  const out = await new Deno.Command("ps", { args: ["-eww", "-o", "args="], stdout: "piped" })
    .output();
  return dec.decode(out.stdout);
}

Deno.test("the passphrase is in no process listing, output, error or log", opts, async () => {
  const secret = `s3cret-${crypto.randomUUID()}`;
  const relay = await RelayProcess.start();
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, secret + "\n");
  const a = ClientProcess.start(relay.port, { nick: "envuser", passphrase: secret });
  const b = ClientProcess.start(relay.port, {
    nick: "fileuser",
    passphrase: null,
    args: ["--passphrase-file", file],
  });
  const c = ClientProcess.start(relay.port, { nick: "other", passphrase: "another one" });
  await Promise.all([a.ready(), b.ready(), c.ready()]);
  const listing = await processListing();
  assert.ok(listing.includes("--nick envuser"), "the listing shows the clients");
  assert.ok(!listing.includes(secret), "but never the passphrase");
  await a.send("hello");
  await b.waitFor((e) => e.event === "text" && e.text === "hello", "b reads a");
  await c.send("mismatch");
  await a.waitFor((e) => e.event === "error" && e.code === "bad-passphrase", "mismatch noticed");
  // Lose the relay: disconnect and reconnect messages too.
  await relay.stop("SIGKILL");
  await a.waitFor((e) => e.event === "reconnecting", "reconnecting");
  for (const x of [a, b, c]) await x.kill();
  for (const x of [a, b, c]) {
    assert.ok(!JSON.stringify(x.events).includes(secret), "not in events");
    assert.ok(!x.stderr.includes(secret), "not on stderr");
  }
  assert.ok(!relay.logs.includes(secret), "not in the relay's log");
  await Deno.remove(file);
});

Deno.test("a passphrase on the command line is refused, and not echoed", opts, async () => {
  const secret = `cmdline-${crypto.randomUUID()}`;
  for (const args of [[`--passphrase=${secret}`], ["--passphrase", secret], ["-p", secret]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}client.ts`, "127.0.0.1:1", "--nick", "x", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    const err = dec.decode(out.stderr);
    assert.match(err, /process listings; use --passphrase-file/);
    assert.ok(!err.includes(secret) && !dec.decode(out.stdout).includes(secret));
  }
});

Deno.test("AM_PASSPHRASE is read once and removed from the environment", async () => {
  Deno.env.set("AM_PASSPHRASE", "from the env");
  assert.equal(await obtainPassphrase(undefined), "from the env");
  assert.equal(Deno.env.get("AM_PASSPHRASE"), undefined, "child processes will not inherit it");
});
