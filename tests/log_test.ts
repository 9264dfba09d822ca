import assert from "node:assert/strict";
import { formatLogLine } from "../lib/log.ts";

const NOW = new Date("2024-05-06T07:08:09.010Z");

Deno.test("time, event, then key=value pairs; undefined fields left out", () => {
  assert.equal(
    formatLogLine("join", { nick: "alice", room: "lobby", n: 3, ok: true, gone: undefined }, NOW),
    "2024-05-06T07:08:09.010Z join nick=alice room=lobby n=3 ok=true",
  );
  assert.equal(formatLogLine("start", {}, NOW), "2024-05-06T07:08:09.010Z start");
});

Deno.test("values with spaces, quotes, = or nothing are quoted", () => {
  const line = formatLogLine("x", { a: "two words", b: 'say "hi"', c: "k=v", d: "" }, NOW);
  assert.equal(line, `${NOW.toISOString()} x a="two words" b="say \\"hi\\"" c="k=v" d=""`);
});

Deno.test("a nick with a newline cannot forge a second log line", () => {
  const forged = "alice\n2024-05-06T07:08:09.010Z admin-login nick=root";
  const line = formatLogLine("join", { nick: forged, addr: "1.2.3.4:5" }, NOW);
  assert.ok(!line.includes("\n"), line);
  assert.ok(!line.includes("\r"));
  assert.equal(line.split("\n").length, 1);
  // The forged text stays inside the quoted nick value, and addr is still the real one.
  assert.ok(line.startsWith(`${NOW.toISOString()} join nick="alice^J`), line);
  assert.ok(line.endsWith(" addr=1.2.3.4:5"), line);
  // Parse the line back: exactly the two real fields.
  const fields = [...line.matchAll(/ (\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((m) => m[1]);
  assert.deepEqual(fields, ["nick", "addr"]);
});

Deno.test("escape sequences, CR and bidi controls are stripped from values", () => {
  const line = formatLogLine("text", { nick: "a\x1b[2J\rb\u202Ec\u009b" }, NOW);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e]/.test(line), JSON.stringify(line));
  assert.ok(line.includes("^[[2J^Mb"));
});
