// Terminal safety: texts from peers carrying escape sequences, control
// characters and bidi overrides are shown neutralised by a client writing plain
// lines (stdout not a terminal), and kept exactly (escaped) in --json output,
// which stays valid JSON lines whatever a member seals, even malformed bodies.
// Nicks and room names cannot carry them at all: the relay's name rules refuse them.
import assert from "node:assert/strict";
import { RawMember } from "../support/raw_member.ts";
import { ClientProcess, helloFrame, RawPeer, RelayProcess } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ROOT = new URL("../..", import.meta.url).pathname;
const enc = new TextEncoder();
const dec = new TextDecoder();

// Everything a terminal would act on rather than show.
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const HOSTILE = [
  "clear\u001b[2J\u001b[Hscreen",
  "title\u001b]0;pwned\u0007bell",
  "csi\u009b31mred",
  "bidi \u202eevil.exe\u202c \u2066iso\u2069 \u200fmark",
  "ctl \u0000nul \u0008bs \u000bvt \u000cff \u0007bel \rcr \u007fdel",
  'json "quote" \\backslash\\ \u2028ls\u2029ps',
];

/** An am-client in plain-line mode (no --json), stdout a pipe, not a terminal. */
function plainClient(port: number, nick: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}client.ts`, `127.0.0.1:${port}`, "--nick", nick, "--no-audio"],
    env: {
      AM_PASSPHRASE: "test passphrase",
      NO_COLOR: "1",
      XDG_CONFIG_HOME: Deno.makeTempDirSync({ prefix: "am-client-config-" }),
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: Uint8Array[] = [];
  const reading = (async () => {
    for await (const chunk of child.stdout) out.push(chunk);
  })();
  const errText = new Response(child.stderr).text();
  const bytes = () => {
    const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of out) all.set(c, at), at += c.length;
    return all;
  };
  return {
    text: () => dec.decode(bytes()),
    async until(pred: (s: string) => boolean, what: string) {
      const deadline = Date.now() + 20_000;
      while (!pred(dec.decode(bytes()))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.text()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async finish() {
      await child.stdin.close();
      const status = await child.status;
      await reading;
      return { status, stderr: await errText };
    },
  };
}

Deno.test("hostile texts: neutralised in plain output, exact in --json output", opts, async () => {
  const relay = await RelayProcess.start();
  const plain = plainClient(relay.port, "plain");
  await plain.until((s) => s.includes("joined [lobby]"), "plain client ready");
  const json = ClientProcess.start(relay.port, { nick: "jsonreader" });
  await json.ready();
  const peer = ClientProcess.start(relay.port, { nick: "peer" });
  await peer.ready();
  for (const line of HOSTILE) await peer.send(line);
  await peer.send("the end");
  await json.waitFor((e) => e.event === "text" && e.text === "the end", "last line in json");
  await plain.until((s) => s.includes("peer: the end"), "last line in plain");
  await peer.finish();

  // --json: every line parsed (the harness fails on any that does not), and each
  // text arrived exactly as typed (stdin lines lose only a trailing \r).
  await json.finish();
  assert.deepEqual(json.texts(), [...HOSTILE, "the end"]);

  const { status, stderr } = await plain.finish();
  assert.equal(status.code, 0, stderr);
  const out = plain.text();
  const lines = out.split("\n").filter((l) => l.includes("peer: "));
  assert.equal(lines.length, HOSTILE.length + 1, `one line per text: ${JSON.stringify(out)}`);
  for (const l of out.split("\n")) {
    assert.ok(!UNSAFE.test(l), `unsafe char in ${JSON.stringify(l)}`);
  }
  assert.ok(!out.includes("\u001b"), "no escape character reaches the terminal");
  assert.ok(out.includes("clear^[[2J^[[Hscreen"), "escape shown as ^[");
  assert.ok(out.includes("title^[]0;pwned^Gbell"));
  assert.ok(out.includes("bidi \uFFFDevil.exe\uFFFD \uFFFDiso\uFFFD \uFFFDmark"));
  assert.ok(out.includes("^@nul ^Hbs ^Kvt ^Lff ^Gbel ^Mcr ^?del"));
  assert.ok(!stderr.includes("\u001b"), "nor through stderr");
  await relay.stop();
});

Deno.test("--json stays valid JSON lines whatever a member seals", opts, async () => {
  const relay = await RelayProcess.start();
  const reader = ClientProcess.start(relay.port, { nick: "reader" });
  await reader.ready();
  // A member with the passphrase, speaking raw frames: it seals whatever it likes.
  const p = await RawMember.join(relay.port, "forger");
  await reader.waitFor((e) => e.event === "keys-ready" || e.event === "joined", "forger joined");
  const bodies = [
    "not json at all \u001b[2J",
    "[1,2,3]",
    "null",
    '{"n":1}',
    '{"n":"x","text":{"nested":"\\u001b[31m"},"ts":"yesterday"}',
    '{"n":2,"text":"\\ud800 lone surrogate \\udfff","ts":1}',
    '{"n":3,"text":"\\u0000\\u001b]0;t\\u0007","ts":1e308}',
    JSON.stringify({ n: 4, text: "x".repeat(30000), ts: 0 }),
    '{"n":5,"text":"ok","ts":0}',
  ];
  const raw = [new Uint8Array([0xff, 0xfe, 0x00, 0x1b]), ...bodies.map((b) => enc.encode(b))];
  for (const b of raw) await p.sendBody(b);
  await reader.waitFor((e) => e.event === "text" && e.text === "ok", "the last forged text");
  await p.leave();
  await reader.finish(); // parses every stdout line as JSON, or fails
  assert.ok(reader.events.length >= 3, JSON.stringify(reader.events));
  for (const e of reader.events) {
    if (e.event !== "text") continue;
    assert.equal(typeof e.text, "string");
  }
  await relay.stop();
});

Deno.test(
  "names: the client refuses unsafe nicks itself; the relay refuses them too",
  opts,
  async () => {
    for (const nick of ["a\u001b[2J", "b\u202ec", "c d", "d\u0007"]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}client.ts`, "127.0.0.1:1", "--nick", nick, "--no-audio"],
        env: { AM_PASSPHRASE: "x" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 2, `refused as a usage error: ${JSON.stringify(nick)}`);
      const err = dec.decode(out.stderr);
      assert.match(err, /nick may hold only letters/);
      assert.ok(!UNSAFE.test(err), "the refusal does not echo the characters");
    }
    const relay = await RelayProcess.start();
    for (
      const [nick, room] of [["x\u001b[1m", "lobby"], ["ok", "r\u202eoom"], ["ok", "r\u009bm"]]
    ) {
      const p = await RawPeer.connect(relay.port);
      await p.write(helloFrame(nick, room));
      const e = await p.error("bad-hello");
      assert.equal(e.fatal, true);
      await p.closed;
    }
    assert.ok(!relay.logs.includes("\u001b"), "nor do they reach the relay's log raw");
    await relay.stop();
  },
);
