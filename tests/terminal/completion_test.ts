import assert from "node:assert/strict";
import { complete } from "../../lib/terminal/completion.ts";
import { COMMAND_NAMES } from "../../lib/client/commands.ts";

const nicks = ["alice", "bob", "bobby", "carol"];
const tab = (line: string, cursor = [...line].length) =>
  complete(line, cursor, nicks, COMMAND_NAMES);

Deno.test("completion: a command at the start of the line", () => {
  assert.deepEqual(tab("/jo"), { line: "/join ", cursor: 6, options: [] });
  assert.deepEqual(tab("/NI"), { line: "/nick ", cursor: 6, options: [] });
});

Deno.test("completion: a nick starting the line gets a colon, elsewhere a space", () => {
  assert.deepEqual(tab("al"), { line: "alice: ", cursor: 7, options: [] });
  assert.deepEqual(tab("hi ca"), { line: "hi carol ", cursor: 9, options: [] });
  assert.deepEqual(tab("/nick ca"), { line: "/nick carol ", cursor: 12, options: [] });
});

Deno.test("completion: several matches extend to the common prefix and are listed", () => {
  assert.deepEqual(tab("b"), { line: "bob", cursor: 3, options: ["bob", "bobby"] });
  assert.deepEqual(tab("/"), { line: "/", cursor: 1, options: [...COMMAND_NAMES].sort() });
  assert.deepEqual(tab("/s"), { line: "/stop ", cursor: 6, options: [] });
});

Deno.test("completion: in the middle of a line, the rest is kept", () => {
  assert.deepEqual(tab("hi al how are you", 5), {
    line: "hi alice how are you",
    cursor: 8,
    options: [],
  });
});

Deno.test("completion: nothing to complete leaves the line alone", () => {
  assert.deepEqual(tab("zz"), { line: "zz", cursor: 2, options: [] });
  assert.deepEqual(tab(""), { line: "", cursor: 0, options: [] });
  assert.deepEqual(tab("hi "), { line: "hi ", cursor: 3, options: [] });
});
