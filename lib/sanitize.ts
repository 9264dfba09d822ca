/**
 * Makes text from other members safe to show on a terminal. Escape sequences
 * could move the cursor, rewrite the screen or set the window title; bidi
 * overrides could make a line read differently from what it is. Every C0 and C1
 * control character and every bidi control is replaced by a visible stand-in,
 * so what a peer sent is shown, never executed.
 *
 * @module
 */

// C0 controls, DEL, C1 controls, and the Unicode bidi embedding, override,
// isolate and mark characters.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Replaces control characters with caret notation (`^[`) and bidi controls with `\u{FFFD}`. */
export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    if (code < 0x20) return "^" + String.fromCharCode(code + 0x40);
    if (code === 0x7f) return "^?";
    return "\u{FFFD}";
  });
}

/** Whether the text holds anything {@linkcode sanitizeForTerminal} would replace. */
export function hasUnsafeCharacters(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}
