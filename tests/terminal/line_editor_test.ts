import assert from "node:assert/strict";
import {
  type EditorAction,
  LineEditor,
  splitKeys,
  TALK_KEY_NAME,
} from "../../lib/terminal/line_editor.ts";

const LEFT = "\x1b[D";
const RIGHT = "\x1b[C";
const UP = "\x1b[A";
const DOWN = "\x1b[B";
const HOME = "\x1b[H";
const END = "\x1b[F";
const DEL = "\x1b[3~";
const BACKSPACE = "\x7f";

/** Feeds raw terminal input through splitKeys; returns the non-"none" actions. */
function feed(ed: LineEditor, input: string): EditorAction[] {
  return splitKeys(input).map((k) => ed.key(k)).filter((a) => a.kind !== "none");
}

/**
 * A one-row terminal, enough to run render() output: CR, erase line (CSI 2K),
 * cursor left (CSI n D) and printable characters. Returns the row and the cursor column.
 */
function runTerminal(output: string): { row: string[]; col: number } {
  const row: string[] = [];
  let col = 0;
  for (const k of splitKeys(output)) {
    if (k === "\r") col = 0;
    else if (k === "\x1b[2K") row.length = 0;
    // deno-lint-ignore no-control-regex
    else if (/^\x1b\[\d*D$/.test(k)) col = Math.max(0, col - Number(k.slice(2, -1) || "1"));
    else if (k.startsWith("\x1b") || k < " ") throw new Error(`unexpected ${JSON.stringify(k)}`);
    else row[col++] = k;
  }
  return { row, col };
}

Deno.test("typing builds the line; Enter submits it and clears", () => {
  const ed = new LineEditor();
  assert.deepEqual(feed(ed, "hello"), []);
  assert.equal(ed.line, "hello");
  assert.deepEqual(feed(ed, "\r"), [{ kind: "submit", line: "hello" }]);
  assert.equal(ed.line, "");
  assert.deepEqual(feed(ed, "x\n"), [{ kind: "submit", line: "x" }]);
  assert.deepEqual(feed(ed, "\r"), [{ kind: "submit", line: "" }]);
});

Deno.test("non-ASCII and emoji are single characters", () => {
  const ed = new LineEditor();
  feed(ed, "Zo\u00EB \u540D \u{1F389}");
  assert.equal(ed.line, "Zo\u00EB \u540D \u{1F389}");
  feed(ed, BACKSPACE);
  assert.equal(ed.line, "Zo\u00EB \u540D ", "backspace removes the whole emoji");
  feed(ed, LEFT + LEFT + BACKSPACE);
  assert.equal(ed.line, "Zo\u00EB\u540D ");
});

Deno.test("backspace, delete and cursor moves", () => {
  const ed = new LineEditor();
  feed(ed, "abcdef");
  feed(ed, LEFT + LEFT + BACKSPACE); // cursor after "abc|def" -> "ab|ef"? no: "abc" then "d" removed?
  assert.equal(ed.line, "abcef");
  feed(ed, "X");
  assert.equal(ed.line, "abcXef");
  feed(ed, HOME + "<" + END + ">");
  assert.equal(ed.line, "<abcXef>");
  feed(ed, "\x01" + DEL + "\x05" + BACKSPACE); // Ctrl-A, Delete, Ctrl-E, Backspace
  assert.equal(ed.line, "abcXef");
  feed(ed, HOME + BACKSPACE + LEFT + LEFT); // nothing before the start
  assert.equal(ed.line, "abcXef");
  feed(ed, END + RIGHT + RIGHT + DEL + "!"); // nothing after the end
  assert.equal(ed.line, "abcXef!");
  feed(ed, "\x1bOH" + "^" + "\x1bOF" + "$"); // SS3 Home/End
  assert.equal(ed.line, "^abcXef!$");
});

Deno.test("Ctrl-U deletes to the start, Ctrl-W the word before the cursor", () => {
  const ed = new LineEditor();
  feed(ed, "hello big world");
  feed(ed, "\x17");
  assert.equal(ed.line, "hello big ");
  feed(ed, "\x17");
  assert.equal(ed.line, "hello ");
  feed(ed, "foo bar  \x17");
  assert.equal(ed.line, "hello foo ", "trailing spaces go with the word");
  feed(ed, "tail" + LEFT.repeat(4) + "\x15");
  assert.equal(ed.line, "tail");
  feed(ed, "x");
  assert.equal(ed.line, "xtail", "cursor is at the start after Ctrl-U");
  feed(ed, "\x17\x17");
  assert.equal(ed.line, "tail");
});

Deno.test("history: up and down recall submitted lines; blank lines are not kept", () => {
  const ed = new LineEditor();
  feed(ed, UP);
  assert.equal(ed.line, "", "empty history");
  feed(ed, "one\rtwo\r   \r");
  feed(ed, UP);
  assert.equal(ed.line, "two");
  feed(ed, UP);
  assert.equal(ed.line, "one");
  feed(ed, UP);
  assert.equal(ed.line, "one", "stays at the oldest");
  feed(ed, DOWN);
  assert.equal(ed.line, "two");
  feed(ed, DOWN);
  assert.equal(ed.line, "", "past the newest: an empty line");
  feed(ed, DOWN);
  assert.equal(ed.line, "");
  // A recalled line can be edited and submitted; the cursor is at its end.
  feed(ed, UP + "!");
  assert.deepEqual(feed(ed, "\r"), [{ kind: "submit", line: "two!" }]);
  feed(ed, UP);
  assert.equal(ed.line, "two!");
  feed(ed, UP);
  assert.equal(ed.line, "two");
});

Deno.test("Ctrl-D: eof on an empty line, delete under the cursor otherwise", () => {
  const ed = new LineEditor();
  assert.deepEqual(feed(ed, "\x04"), [{ kind: "eof" }]);
  feed(ed, "abc" + HOME);
  assert.deepEqual(feed(ed, "\x04"), []);
  assert.equal(ed.line, "bc");
});

Deno.test("Ctrl-C interrupts; Ctrl-T toggles talking and leaves the line alone", () => {
  const ed = new LineEditor();
  feed(ed, "typing");
  assert.deepEqual(feed(ed, "\x14"), [{ kind: "toggle-talk" }]);
  assert.equal(ed.line, "typing");
  assert.deepEqual(feed(ed, "\x03"), [{ kind: "interrupt" }]);
  assert.equal(TALK_KEY_NAME, "Ctrl-T");
});

Deno.test("splitKeys separates characters and escape sequences", () => {
  assert.deepEqual(
    splitKeys("ab\x1b[A\x1bOH\x1b[3~\x1b[1;5C\u00E9\u{1F600}\r\x7f"),
    ["a", "b", "\x1b[A", "\x1bOH", "\x1b[3~", "\x1b[1;5C", "\u00E9", "\u{1F600}", "\r", "\x7f"],
  );
  assert.deepEqual(splitKeys(""), []);
  assert.deepEqual(splitKeys("\x1b"), ["\x1b"]);
  assert.deepEqual(splitKeys("\x1bx"), ["\x1b", "x"]);
  assert.deepEqual(splitKeys("\x1b[200~hi\x1b[201~"), ["\x1b[200~", "h", "i", "\x1b[201~"]);
});

Deno.test("pasted escape and control characters never enter the line", () => {
  const ed = new LineEditor();
  feed(ed, "\x1b]0;title\x07");
  feed(ed, "\x1b[31mred\x1b[0m");
  feed(ed, "\u009b2J\x1b\tz\x00\x1b[1;5C");
  const line = ed.line;
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(line), JSON.stringify(line));
  assert.equal(line, "]0;titlered2Jz");
});

Deno.test("render: prompt and text, cursor at the end", () => {
  const ed = new LineEditor();
  feed(ed, "hello");
  const out = ed.render("> ", 80);
  assert.ok(out.startsWith("\r\x1b[2K"));
  const { row, col } = runTerminal(out);
  assert.equal(row.join(""), "> hello");
  assert.equal(col, 7);
});

Deno.test("render: cursor in the middle sits on the right character", () => {
  const ed = new LineEditor();
  feed(ed, "hello world" + LEFT.repeat(3));
  const { row, col } = runTerminal(ed.render("> ", 80));
  assert.equal(row.join(""), "> hello world");
  assert.equal(col, 2 + 8);
  assert.equal(row[col], "r");
  feed(ed, HOME);
  const home = runTerminal(ed.render("> ", 80));
  assert.equal(home.col, 2);
  assert.equal(home.row[home.col], "h");
});

Deno.test("render: long lines scroll sideways, cursor always visible, never wraps", () => {
  const ed = new LineEditor();
  const text = Array.from({ length: 100 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
  feed(ed, text);
  const columns = 30;
  const prompt = "> ";
  // Walk the cursor from the end to the start and back, checking every position.
  let cursor = text.length;
  const check = () => {
    const { row, col } = runTerminal(ed.render(prompt, columns));
    assert.ok(row.length < columns, `row of ${row.length} fits ${columns} columns`);
    assert.equal(row.slice(0, 2).join(""), prompt);
    assert.ok(col >= prompt.length && col < columns, `cursor ${cursor} at column ${col}`);
    if (cursor < text.length) assert.equal(row[col], text[cursor], `char under cursor ${cursor}`);
    else assert.equal(row[col - 1], text[cursor - 1]);
    // The visible part is a contiguous piece of the text.
    assert.ok(text.includes(row.slice(2).join("")));
  };
  check();
  while (cursor > 0) {
    feed(ed, LEFT);
    cursor--;
    check();
  }
  for (let i = 0; i < 40; i++) {
    feed(ed, RIGHT);
    cursor++;
    check();
  }
});
