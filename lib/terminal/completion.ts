/**
 * Tab completion of the input line: a command at the start of the line, a
 * nick anywhere. One match is completed (a nick that starts the line gets
 * ": "); several are extended to their common prefix and listed.
 *
 * @module
 */

/** The line after a Tab, and the candidates when more than one fit. */
export interface Completion {
  /** The new line. */
  line: string;
  /** The new cursor position (in code points). */
  cursor: number;
  /** The matches, when more than one fit (to show); empty otherwise. */
  options: string[];
}

function commonPrefix(words: string[]): string {
  let p = words[0] ?? "";
  for (const w of words) {
    while (!w.toLowerCase().startsWith(p.toLowerCase())) p = p.slice(0, -1);
  }
  return p;
}

/** Completes the word before `cursor` (a code point index) in `line`. */
export function complete(
  line: string,
  cursor: number,
  nicks: readonly string[],
  commands: readonly string[],
): Completion {
  const chars = [...line];
  const before = chars.slice(0, cursor).join("");
  const after = chars.slice(cursor).join("");
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  const atStart = before.slice(0, start).trim() === "";
  const pool = atStart && word.startsWith("/") ? commands : nicks;
  const matches = word === "" && pool === nicks
    ? []
    : [...new Set(pool)].filter((c) => c.toLowerCase().startsWith(word.toLowerCase())).sort();
  const unchanged = { line, cursor, options: [] };
  if (matches.length === 0) return unchanged;
  let replacement: string;
  let options: string[] = [];
  if (matches.length === 1) {
    const suffix = pool === nicks && atStart ? ": " : " ";
    replacement = matches[0] + (after.startsWith(" ") ? "" : suffix);
  } else {
    const prefix = commonPrefix(matches);
    replacement = prefix.length > word.length ? prefix : word;
    options = matches;
  }
  const head = before.slice(0, start) + replacement;
  return { line: head + after, cursor: [...head].length, options };
}
