import assert from "node:assert/strict";
import {
  type Entry,
  entrySpans,
  formatTime,
  mentions,
  scrollWindow,
  transcriptRows,
} from "../../lib/terminal/transcript.ts";
import { nickColour, paint, stylingEnabled, wrapSpans } from "../../lib/terminal/style.ts";

const plain = (e: Entry) => paint(entrySpans(e), false);
const at = new Date(2024, 0, 2, 9, 5).getTime();

Deno.test("formatTime: HH:MM on the local clock", () => {
  assert.equal(formatTime(at), "09:05");
  assert.equal(formatTime(new Date(2024, 0, 2, 23, 59).getTime()), "23:59");
});

Deno.test("mentions: the nick as a word, any case; not inside another word", () => {
  assert.ok(mentions("hey alice, look", "alice"));
  assert.ok(mentions("ALICE: hi", "alice"));
  assert.ok(mentions("@alice", "alice"));
  assert.ok(!mentions("malice aforethought", "alice"));
  assert.ok(!mentions("alice_2 is here", "alice"));
  assert.ok(mentions("ping a.b please", "a.b"), "regex characters in a nick are literal");
  assert.ok(!mentions("ping axb please", "a.b"));
});

Deno.test("entrySpans: time, nick, text; own texts carry their delivery state", () => {
  const own = (delivery: "pending" | "refused" | "undelivered" | "delivered"): Entry => ({
    kind: "text",
    time: at,
    nick: "alice",
    text: "hi",
    own: { n: 1, delivery },
  });
  assert.equal(plain(own("pending")), "09:05 <alice> hi (sending…)");
  assert.equal(plain(own("refused")), "09:05 <alice> hi (refused: rate limit; sending again)");
  assert.equal(plain(own("undelivered")), "09:05 <alice> hi (not delivered)");
  assert.equal(plain(own("delivered")), "09:05 <alice> hi");
  assert.equal(
    plain({ kind: "action", time: at, nick: "bob", text: "waves" }),
    "09:05 * bob waves",
  );
  assert.equal(plain({ kind: "info", time: at, text: "bob joined" }), "09:05 -- bob joined");
  assert.equal(plain({ kind: "error", time: at, text: "! bad" }), "09:05 ! bad");
});

Deno.test("entrySpans: nick colour from the nick, own nick bold, a mention reversed", () => {
  const spans = entrySpans({ kind: "text", time: at, nick: "bob", text: "alice?", mention: true });
  assert.deepEqual(spans.find((s) => s.text === "bob")?.style, {
    fg: nickColour("bob"),
    bold: false,
  });
  assert.deepEqual(spans.find((s) => s.text === "alice?")?.style, { bold: true, reverse: true });
  const own = entrySpans({
    kind: "text",
    time: at,
    nick: "al",
    text: "x",
    own: { n: 1, delivery: "delivered" },
  });
  assert.equal(own.find((s) => s.text === "al")?.style?.bold, true);
});

Deno.test("entrySpans: hostile text and nicks are shown, never executed", () => {
  const text = plain({ kind: "text", time: at, nick: "x\x1b[2J", text: "a\x1b]0;t\x07b\u202e" });
  assert.equal(text, "09:05 <x^[[2J> a^[]0;t^Gb\uFFFD");
  assert.ok(
    !paint(entrySpans({ kind: "info", time: at, text: "\x1b[31m" }), true).includes("\x1b[31m"),
  );
});

Deno.test("nickColour is stable and spreads nicks over the palette", () => {
  assert.equal(nickColour("alice"), nickColour("alice"));
  const colours = new Set(
    ["alice", "bob", "carol", "dave", "erin", "frank", "grace"].map(nickColour),
  );
  assert.ok(colours.size >= 3, `${colours.size} colours`);
});

Deno.test("stylingEnabled: a terminal, and NO_COLOR unset or empty", () => {
  assert.equal(stylingEnabled(undefined, true), true);
  assert.equal(stylingEnabled("", true), true);
  assert.equal(stylingEnabled("1", true), false);
  assert.equal(stylingEnabled("0", true), false, "any non-empty value");
  assert.equal(stylingEnabled(undefined, false), false);
});

Deno.test("paint: SGR only with colour on", () => {
  const spans = [{ text: "a", style: { bold: true, fg: 31 } }, { text: "b" }];
  assert.equal(paint(spans, false), "ab");
  assert.equal(paint(spans, true), "\x1b[1;31ma\x1b[0mb");
});

Deno.test("wrapSpans: rows of at most width cells, styles kept across the cut", () => {
  const rows = wrapSpans([{ text: "abc" }, { text: "defgh", style: { dim: true } }], 4);
  assert.deepEqual(rows.map((r) => r.map((s) => s.text).join("")), ["abcd", "efgh"]);
  assert.deepEqual(rows[1][0].style, { dim: true });
  assert.deepEqual(wrapSpans([], 10), [[]]);
});

Deno.test("scrollWindow: newest rows at offset 0, clamped at the oldest", () => {
  assert.deepEqual(scrollWindow(100, 10, 0), { start: 90, end: 100, offset: 0 });
  assert.deepEqual(scrollWindow(100, 10, 15), { start: 75, end: 85, offset: 15 });
  assert.deepEqual(scrollWindow(100, 10, 500), { start: 0, end: 10, offset: 90 });
  assert.deepEqual(scrollWindow(3, 10, 5), { start: 0, end: 3, offset: 0 });
  assert.deepEqual(scrollWindow(5, 10, -3), { start: 0, end: 5, offset: 0 });
});

Deno.test("transcriptRows: long entries wrap to the width", () => {
  const rows = transcriptRows([{ kind: "info", time: at, text: "x".repeat(30) }], 20);
  assert.equal(rows.length, 2);
});
