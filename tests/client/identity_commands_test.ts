// The identity features as a user and a script meet them, through real client
// and relay processes: `am-client --fingerprint`, the identity file's
// permission check, the `fingerprint`/`verified` fields of `ready`, `joined`
// and `who`, and the /verify, /trust and /accept commands typed on a pipe.
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLIENT_RUN_ARGS, ClientProcess, RelayProcess } from "../support/harness.ts";
import type { ClientEvent } from "../../lib/client/events.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const FINGERPRINT = /^(\d{5} ){5}\d{5}$/;

/** Runs `am-client ARGS` to its end with its own config directory. */
async function amClient(args: string[], config: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...CLIENT_RUN_ARGS, ...args],
    env: { XDG_CONFIG_HOME: config, NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout).trim(), stderr: dec.decode(out.stderr) };
}

Deno.test(
  "am-client --fingerprint: made on first run, 0600, the same after, the one ready shows",
  opts,
  async () => {
    const config = await Deno.makeTempDir();
    const first = await amClient(["--fingerprint"], config);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, FINGERPRINT);
    const file = join(config, "am", "identity");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.equal((await amClient(["--fingerprint"], config)).stdout, first.stdout, "stable");
    // --identity FILE: another key, its own file.
    const other = join(config, "elsewhere", "id");
    const second = await amClient(["--fingerprint", "--identity", other], config);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, FINGERPRINT);
    assert.notEqual(second.stdout, first.stdout);
    // A client with that config announces the same fingerprint.
    const relay = await RelayProcess.start();
    const c = ClientProcess.start(relay.port, { nick: "ann", env: { XDG_CONFIG_HOME: config } });
    const ready = await c.ready();
    assert.ok(ready.event === "ready" && ready.fingerprint === first.stdout, JSON.stringify(ready));
    await c.finish();
    await relay.stop();
    await Deno.remove(config, { recursive: true });
  },
);

Deno.test(
  "identity file readable by others: refused with the chmod to run, exit 2, no stack trace",
  opts,
  async () => {
    const config = await Deno.makeTempDir();
    assert.equal((await amClient(["--fingerprint"], config)).code, 0);
    const file = join(config, "am", "identity");
    await Deno.chmod(file, 0o644);
    const r = await amClient(["--fingerprint"], config);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(r.stderr.includes(`chmod 600 ${file}`), r.stderr);
    assert.ok(!/\bat .*\.ts:\d+/.test(r.stderr), `no stack trace: ${r.stderr}`);
    // A joining client stops the same way, before it connects anywhere.
    const relay = await RelayProcess.start();
    const c = ClientProcess.start(relay.port, { nick: "ann", env: { XDG_CONFIG_HOME: config } });
    const status = await c.status;
    assert.equal(status.code, 2, c.stderr);
    assert.ok(c.stderr.includes("chmod 600"), c.stderr);
    assert.equal(c.events.length, 0, "no ready, nothing sent");
    await relay.stop();
    await Deno.remove(config, { recursive: true });
  },
);

const byNick = (e: ClientEvent, nick: string) =>
  e.event === "who" ? e.entries?.find((x) => x.nick === nick) : undefined;

Deno.test(
  "joined and who carry fingerprints; /verify shows one safety number on both sides; /trust marks verified",
  opts,
  async () => {
    const relay = await RelayProcess.start();
    const ann = ClientProcess.start(relay.port, { nick: "ann" });
    const annReady = await ann.ready();
    const bob = ClientProcess.start(relay.port, { nick: "bob" });
    const bobReady = await bob.ready();
    assert.ok(annReady.event === "ready" && bobReady.event === "ready");
    const joined = await ann.waitFor((e) => e.event === "joined" && e.nick === "bob", "bob joined");
    assert.ok(joined.event === "joined");
    assert.equal(joined.fingerprint, bobReady.fingerprint, "joined: bob's own fingerprint");
    assert.equal(joined.verified, false, "not verified yet");

    await ann.send("/who");
    const who = await ann.waitFor((e) => e.event === "who", "who");
    assert.deepEqual(byNick(who, "ann"), {
      nick: "ann",
      fingerprint: annReady.fingerprint,
      verified: true,
    });
    assert.deepEqual(byNick(who, "bob"), {
      nick: "bob",
      fingerprint: bobReady.fingerprint,
      verified: false,
    });

    await ann.send("/verify bob");
    await bob.send("/verify ann");
    const a = await ann.waitFor((e) => e.event === "safety-number", "ann's safety number");
    const b = await bob.waitFor((e) => e.event === "safety-number", "bob's safety number");
    assert.ok(a.event === "safety-number" && b.event === "safety-number");
    assert.match(a.number, /^(\d{5} ){11}\d{5}$/);
    assert.equal(a.number, b.number, "the same number on both screens");
    assert.deepEqual([a.nick, b.nick, a.verified], ["bob", "ann", false]);
    assert.ok(a.number.includes(annReady.fingerprint!) && a.number.includes(bobReady.fingerprint!));

    await ann.send("/trust bob");
    await ann.waitFor(
      (e) => e.event === "notice" && /bob is marked verified/.test(e.message),
      "trusted",
    );
    await ann.send("/who");
    const after = await ann.waitFor(
      (e) => e.event === "who" && byNick(e, "bob")?.verified === true,
      "verified",
    );
    assert.equal(byNick(after, "bob")?.fingerprint, bobReady.fingerprint);
    await ann.send("/verify nobody");
    await ann.waitFor(
      (e) => e.event === "notice" && /no member nobody/.test(e.message),
      "unknown nick",
    );
    await Promise.all([ann.finish(), bob.finish()]);
    await relay.stop();
  },
);

Deno.test(
  "/accept after an identity change: later texts are no longer marked, the new one is remembered",
  opts,
  async () => {
    const relay = await RelayProcess.start();
    const annConfig = await Deno.makeTempDir();
    const ann = ClientProcess.start(relay.port, {
      nick: "ann",
      env: { XDG_CONFIG_HOME: annConfig },
    });
    await ann.ready();
    const bob1 = ClientProcess.start(relay.port, { nick: "bob" });
    await bob1.ready();
    await ann.waitFor((e) => e.event === "joined" && e.nick === "bob", "bob joined");
    await bob1.finish();
    await ann.waitFor((e) => e.event === "left" && e.nick === "bob", "bob left");
    const bob2 = ClientProcess.start(relay.port, { nick: "bob" });
    const ready2 = await bob2.ready();
    const changed = await ann.waitFor((e) => e.event === "identity-changed", "identity-changed");
    assert.ok(changed.event === "identity-changed" && ready2.event === "ready");
    assert.equal(changed.new, ready2.fingerprint);
    const joined = ann.events.findLast((e) => e.event === "joined" && e.nick === "bob");
    assert.ok(joined?.event === "joined" && joined.verified === false);
    await bob2.send("before accept");
    const t1 = await ann.waitFor((e) => e.event === "text" && e.text === "before accept", "t1");
    assert.ok(t1.event === "text" && t1.identityChanged === true);
    await ann.send("/accept bob");
    await ann.waitFor(
      (e) => e.event === "notice" && /accepted bob's new identity/.test(e.message),
      "accepted",
    );
    await bob2.send("after accept");
    const t2 = await ann.waitFor((e) => e.event === "text" && e.text === "after accept", "t2");
    assert.ok(t2.event === "text" && t2.identityChanged === undefined, JSON.stringify(t2));
    await ann.finish();
    // Remembered: ann's next run sees no change for this bob.
    const annAgain = ClientProcess.start(relay.port, {
      nick: "ann",
      env: { XDG_CONFIG_HOME: annConfig },
    });
    await annAgain.ready();
    await bob2.send("next run");
    await annAgain.waitFor((e) => e.event === "text" && e.text === "next run", "next run");
    assert.ok(!annAgain.events.some((e) => e.event === "identity-changed"), "no change reported");
    await Promise.all([annAgain.finish(), bob2.finish()]);
    await relay.stop();
    await Deno.remove(annConfig, { recursive: true });
  },
);
