/**
 * Styling of terminal text: spans of text with a style, painted with SGR
 * sequences only when styling is on (a terminal, and `NO_COLOR` unset or
 * empty). Nicks get a stable colour from a hash of the nick, so a member looks
 * the same on every screen and in every session. Span text must already be
 * safe ({@linkcode sanitizeForTerminal}); painting adds only SGR sequences.
 *
 * @module
 */

/** How a span looks. */
export interface Style {
  /** SGR foreground colour code (31–37, 91–96). */
  fg?: number;
  /** Bold. */
  bold?: boolean;
  /** Dim. */
  dim?: boolean;
  /** Reverse video. */
  reverse?: boolean;
}

/** A run of text in one style. */
export interface Span {
  /** The text, already safe for a terminal. */
  text: string;
  /** Its style; none for plain text. */
  style?: Style;
}

/** Whether to style output: only on a terminal, and never when `NO_COLOR` has a value. */
export function stylingEnabled(noColor: string | undefined, isTerminal: boolean): boolean {
  return isTerminal && (noColor === undefined || noColor === "");
}

// Readable on dark and light backgrounds; no blue (dark on black) nor white/black.
const PALETTE = [31, 32, 33, 35, 36, 91, 92, 93, 95, 96];

/** The colour of a nick: FNV-1a of its UTF-8 bytes picks from a fixed palette. */
export function nickColour(nick: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(nick)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PALETTE[h % PALETTE.length];
}

/** Width of spans in terminal cells (one a code point). */
export function spansWidth(spans: readonly Span[]): number {
  let w = 0;
  for (const s of spans) w += [...s.text].length;
  return w;
}

function sgr(style: Style): string {
  const codes: number[] = [];
  if (style.bold) codes.push(1);
  if (style.dim) codes.push(2);
  if (style.reverse) codes.push(7);
  if (style.fg) codes.push(style.fg);
  return codes.length ? `\x1b[${codes.join(";")}m` : "";
}

/** The spans as a string: with SGR sequences when `colour`, plain text otherwise. */
export function paint(spans: readonly Span[], colour: boolean): string {
  let out = "";
  for (const s of spans) {
    const on = colour && s.style ? sgr(s.style) : "";
    out += on ? `${on}${s.text}\x1b[0m` : s.text;
  }
  return out;
}

/** Cuts spans to at most `width` cells. */
export function truncateSpans(spans: readonly Span[], width: number): Span[] {
  const out: Span[] = [];
  let left = width;
  for (const s of spans) {
    if (left <= 0) break;
    const chars = [...s.text];
    const text = chars.slice(0, left).join("");
    left -= Math.min(left, chars.length);
    if (text) out.push({ ...s, text });
  }
  return out;
}

/** Splits spans into rows of at most `width` cells (at least one row). */
export function wrapSpans(spans: readonly Span[], width: number): Span[][] {
  const w = Math.max(1, width);
  const rows: Span[][] = [[]];
  let used = 0;
  for (const s of spans) {
    let chars = [...s.text];
    while (chars.length > 0) {
      if (used === w) {
        rows.push([]);
        used = 0;
      }
      const take = chars.slice(0, w - used);
      rows[rows.length - 1].push({ ...s, text: take.join("") });
      used += take.length;
      chars = chars.slice(take.length);
    }
  }
  return rows;
}
