// Trust on first use, like SSH: the first fingerprint is pinned and shown
// once; a relay that comes back with another certificate is refused (also on
// a reconnect) with relay-key-changed, and nothing is sent to it; --pin
// refuses a wrong relay before any hello.
import assert from "node:assert/strict";
import { ClientProcess, RELAY_RUN_ARGS, RelayProcess, testDir } from "../support/harness.ts";
import { fingerprintOf } from "../../lib/tls/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** What `am-server --fingerprint --data-dir DIR` prints. */
async function printedFingerprint(dir: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...RELAY_RUN_ARGS, "--fingerprint", "--data-dir", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("first use pins and says so once; a changed certificate is refused", opts, async () => {
  const dirA = testDir("relay-a-");
  const dirB = testDir("relay-b-");
  const config = testDir("config-");
  const env = { XDG_CONFIG_HOME: config };
  const fpA = await printedFingerprint(dirA);
  let relay = await RelayProcess.start(["--data-dir", dirA]);
  assert.equal(relay.fingerprint, fpA, "the relay logs what --fingerprint prints");

  const first = ClientProcess.start(relay.port, { nick: "first", env });
  await first.ready();
  const notices = first.events.filter((e) => e.event === "notice" && /new relay/.test(e.message));
  assert.equal(notices.length, 1, JSON.stringify(first.events));
  assert.ok(JSON.stringify(notices[0]).includes(fpA), "the notice shows the relay's fingerprint");
  assert.match(JSON.stringify(notices[0]), /compare it with the one your relay's operator sees/);
  const file = `${config}/am/known_relays`;
  const line = (await Deno.readTextFile(file)).trim();
  assert.ok(line.startsWith(`127.0.0.1:${relay.port} ${fpA} `), line);
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);

  // Known now: no notice.
  const again = ClientProcess.start(relay.port, { nick: "again", env });
  await again.ready();
  assert.ok(!again.events.some((e) => e.event === "notice"), JSON.stringify(again.events));
  await again.finish();

  // The relay is replaced by one with another certificate on the same port.
  await relay.stop();
  const fpB = await printedFingerprint(dirB);
  assert.notEqual(fpB, fpA);
  relay = await RelayProcess.start(["--data-dir", dirB], relay.port);

  // The connected client's reconnect meets it: refused, loudly, and the client exits.
  const status = await first.status;
  assert.notEqual(status.code, 0);
  await first.finish();
  const refusal = first.events.find((e) => e.event === "error" && e.code === "relay-key-changed");
  assert.ok(refusal, JSON.stringify(first.events));

  // A new start is refused the same way, naming both fingerprints and the line to remove.
  const later = ClientProcess.start(relay.port, { nick: "later", env });
  const laterStatus = await later.finish();
  assert.equal(laterStatus.code, 1);
  const e = later.events.find((e) => e.event === "error")!;
  assert.equal(e.event === "error" && e.code, "relay-key-changed");
  const msg = e.event === "error" ? e.message : "";
  assert.ok(msg.includes(fpA) && msg.includes(fpB), msg);
  assert.ok(msg.includes(`remove line 1 of ${file}`), msg);
  assert.ok(!later.events.some((e) => e.event === "ready"));
  assert.doesNotMatch(relay.logs, / join /, "no client got as far as a hello");
  await relay.stop();
});

Deno.test(
  "--pin: the right fingerprint connects without a prompt, a wrong one sends nothing",
  opts,
  async () => {
    const relay = await RelayProcess.start();
    const config = testDir("config-");
    const env = { XDG_CONFIG_HOME: config };
    const wrong = fingerprintOf(crypto.getRandomValues(new Uint8Array(64)));
    const refused = ClientProcess.start(relay.port, {
      nick: "refused",
      env,
      args: ["--pin", wrong],
    });
    assert.equal((await refused.finish()).code, 1);
    const e = refused.events.find((e) => e.event === "error");
    assert.ok(
      e?.event === "error" && e.code === "relay-key-changed",
      JSON.stringify(refused.events),
    );
    assert.ok(e.message.includes(wrong) && e.message.includes(relay.fingerprint!), e.message);
    assert.doesNotMatch(relay.logs, / join /, "no hello reached the relay");

    const pinned = ClientProcess.start(relay.port, {
      nick: "pinned",
      env: { ...env, AM_PIN: relay.fingerprint! },
    });
    await pinned.ready();
    assert.ok(!pinned.events.some((e) => e.event === "notice"), "--pin shows no first-use notice");
    await pinned.finish();
    await relay.stop();
  },
);

Deno.test(
  "relays started at once on one data directory agree on one certificate",
  opts,
  async () => {
    const dir = `${testDir("shared-")}/data`;
    const prints = await Promise.all(Array.from({ length: 4 }, () => printedFingerprint(dir)));
    assert.equal(new Set(prints).size, 1, `one fingerprint: ${prints}`);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    const files = [];
    for await (const f of Deno.readDir(dir)) files.push(f.name);
    assert.deepEqual(files, ["tls.pem"], "no temporary file left behind");
    assert.equal((await Deno.stat(`${dir}/tls.pem`)).mode! & 0o777, 0o600);
  },
);
