import assert from "node:assert/strict";
import { hasUnsafeCharacters, sanitizeForTerminal } from "../lib/sanitize.ts";

// deno-lint-ignore no-control-regex
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

Deno.test("escape sequences are shown, not executed", () => {
  const evil = "\x1b[2J\x1b]0;title\x07";
  const safe = sanitizeForTerminal(evil);
  assert.equal(safe, "^[[2J^[]0;title^G");
  assert.ok(!safe.includes("\x1b"));
  assert.ok(!CONTROL_OR_BIDI.test(safe));
  assert.equal(sanitizeForTerminal("a\rb\nc\td\x00e\x7f"), "a^Mb^Jc^Id^@e^?");
});

Deno.test("C1 controls (8-bit CSI, NEL) are neutralised", () => {
  assert.equal(sanitizeForTerminal("\u009b2J"), "\uFFFD2J");
  assert.equal(sanitizeForTerminal("a\u0085b"), "a\uFFFDb");
  assert.equal(sanitizeForTerminal("\u0080\u009f"), "\uFFFD\uFFFD");
});

Deno.test("bidi controls are neutralised", () => {
  for (
    const ch of ["\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068"]
      .concat(["\u2069", "\u200E", "\u200F", "\u061C"])
  ) {
    const safe = sanitizeForTerminal(`x${ch}y`);
    assert.equal(safe, "x\uFFFDy", `U+${ch.charCodeAt(0).toString(16)}`);
    assert.equal(hasUnsafeCharacters(`x${ch}y`), true);
  }
  assert.equal(sanitizeForTerminal("invoice\u202Efdp.exe"), "invoice\uFFFDfdp.exe");
});

Deno.test("plain, accented, CJK and emoji text is unchanged", () => {
  for (
    const text of [
      "hello, world!",
      "Zo\u00EB na\u00EFve caf\u00E9",
      "\u540D\u524D \u3053\u3093\u306B\u3061\u306F",
      "\u{1F389}\u{1F44D}\u{1F3FD} \u{1F468}\u200D\u{1F469}\u200D\u{1F467}",
      "\u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627", // RTL letters themselves are fine
      "",
    ]
  ) {
    assert.equal(sanitizeForTerminal(text), text);
    assert.equal(hasUnsafeCharacters(text), false, text);
  }
});

Deno.test("hasUnsafeCharacters is stable across calls (no lastIndex leak)", () => {
  for (let i = 0; i < 5; i++) {
    assert.equal(hasUnsafeCharacters("a\x1bb"), true);
    assert.equal(hasUnsafeCharacters("ab"), false);
  }
});
