import assert from "node:assert/strict";
import { helpText, parseCommand } from "../../lib/client/commands.ts";

Deno.test("plain lines are messages, kept as typed", () => {
  assert.deepEqual(parseCommand("hello"), { kind: "text", text: "hello" });
  assert.deepEqual(parseCommand("  spaced  "), { kind: "text", text: "  spaced  " });
  assert.deepEqual(parseCommand("a/b"), { kind: "text", text: "a/b" });
  assert.deepEqual(parseCommand("[audio] now"), { kind: "text", text: "[audio] now" });
});

Deno.test("empty and blank lines are empty", () => {
  for (const line of ["", "   ", "\t"]) assert.deepEqual(parseCommand(line), { kind: "empty" });
});

Deno.test("[audio] starts talking, as in the original project", () => {
  assert.deepEqual(parseCommand("[audio]"), { kind: "talk" });
  assert.deepEqual(parseCommand("  [audio] "), { kind: "talk" });
});

Deno.test("slash commands, case-insensitive, arguments ignored", () => {
  for (const kind of ["who", "quit", "help", "talk", "stop", "clear"] as const) {
    assert.deepEqual(parseCommand(`/${kind}`), { kind });
    assert.deepEqual(parseCommand(`/${kind.toUpperCase()}`), { kind });
    assert.deepEqual(parseCommand(`  /${kind} extra words`), { kind });
  }
  assert.deepEqual(parseCommand("/exit"), { kind: "quit" });
});

Deno.test("unknown commands are reported by name", () => {
  assert.deepEqual(parseCommand("/nope"), { kind: "unknown", name: "nope" });
  assert.deepEqual(parseCommand("/Foo bar"), { kind: "unknown", name: "foo" });
  assert.deepEqual(parseCommand("/"), { kind: "unknown", name: "" });
});

Deno.test("//text sends a message starting with a slash", () => {
  assert.deepEqual(parseCommand("//who"), { kind: "text", text: "/who" });
  assert.deepEqual(parseCommand("//etc/passwd is here"), {
    kind: "text",
    text: "/etc/passwd is here",
  });
  assert.deepEqual(parseCommand("//"), { kind: "text", text: "/" });
});

Deno.test("helpText lists every command, and the talk key when there is one", () => {
  const help = helpText("Ctrl-T");
  for (const word of ["/who", "/talk", "[audio]", "/stop", "/help", "/quit", "//text", "Ctrl-T"]) {
    assert.ok(help.includes(word), word);
  }
  for (const word of ["/me", "/nick", "/join", "/clear", "Tab", "PageUp"]) {
    assert.ok(help.includes(word), word);
  }
  assert.ok(!helpText(null).includes("toggle talking"));
  assert.ok(!helpText(null).includes("PageUp"), "keys only on a terminal");
  assert.ok(helpText(null).includes("/join ROOM"));
});

Deno.test("/me, /nick and /join take an argument; without one they explain usage", () => {
  assert.deepEqual(parseCommand("/me waves  hello"), { kind: "me", text: "waves  hello" });
  assert.deepEqual(parseCommand("/nick bob"), { kind: "nick", nick: "bob" });
  assert.deepEqual(parseCommand("/JOIN team "), { kind: "join", room: "team" });
  assert.deepEqual(parseCommand("/me"), { kind: "usage", message: "usage: /me ACTION" });
  assert.deepEqual(parseCommand("/nick"), { kind: "usage", message: "usage: /nick NEWNICK" });
  assert.deepEqual(parseCommand("/nick a b"), { kind: "usage", message: "usage: /nick NEWNICK" });
  assert.deepEqual(parseCommand("/join"), { kind: "usage", message: "usage: /join ROOM" });
});
