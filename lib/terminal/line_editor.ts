/**
 * The input line of the terminal UI as pure state: keys in, actions and a
 * redraw string out. Incoming messages are printed above it and it is drawn
 * again, so the line being typed is never broken. Long lines scroll
 * sideways instead of wrapping, which keeps redrawing to a single row.
 *
 * @module
 */

/** What a key asks the UI to do. */
export type EditorAction =
  | { kind: "none" }
  | { kind: "submit"; line: string }
  | { kind: "eof" }
  | { kind: "interrupt" }
  | { kind: "toggle-talk" }
  | { kind: "complete" }
  | { kind: "page-up" }
  | { kind: "page-down" };

/** The key that toggles talking, for `/help`. */
export const TALK_KEY_NAME = "Ctrl-T";
const TALK_KEY = "\x14";

/** Splits raw terminal input into keys (single characters or escape sequences). */
export function splitKeys(input: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < input.length) {
    if (input[i] === "\x1b" && (input[i + 1] === "[" || input[i + 1] === "O")) {
      let j = i + 2;
      if (input[i + 1] === "[") { while (j < input.length && !/[\x40-\x7e]/.test(input[j])) j++; }
      keys.push(input.slice(i, j + 1));
      i = j + 1;
    } else {
      const cp = input.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      keys.push(ch);
      i += ch.length;
    }
  }
  return keys;
}

/** A one-line editor with history. */
export class LineEditor {
  #chars: string[] = [];
  #cursor = 0;
  #history: string[] = [];
  #histIndex = 0;

  /** The text typed so far. */
  get line(): string {
    return this.#chars.join("");
  }

  /** Where the cursor is, in characters from the start. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Replaces the line (a completion) and puts the cursor at `cursor`. */
  set(line: string, cursor: number): void {
    this.#chars = [...line];
    this.#cursor = Math.max(0, Math.min(cursor, this.#chars.length));
  }

  /** Applies one key. */
  key(k: string): EditorAction {
    switch (k) {
      case "\r":
      case "\n": {
        const line = this.line;
        if (line.trim() !== "") this.#history.push(line);
        this.#histIndex = this.#history.length;
        this.#chars = [];
        this.#cursor = 0;
        return { kind: "submit", line };
      }
      case "\x03":
        return { kind: "interrupt" };
      case "\x04":
        if (this.#chars.length === 0) return { kind: "eof" };
        this.#chars.splice(this.#cursor, 1);
        break;
      case TALK_KEY:
        return { kind: "toggle-talk" };
      case "\t":
        return { kind: "complete" };
      case "\x1b[5~":
        return { kind: "page-up" };
      case "\x1b[6~":
        return { kind: "page-down" };
      case "\x7f":
      case "\b":
        if (this.#cursor > 0) this.#chars.splice(--this.#cursor, 1);
        break;
      case "\x01":
      case "\x1b[H":
      case "\x1bOH":
        this.#cursor = 0;
        break;
      case "\x05":
      case "\x1b[F":
      case "\x1bOF":
        this.#cursor = this.#chars.length;
        break;
      case "\x15":
        this.#chars.splice(0, this.#cursor);
        this.#cursor = 0;
        break;
      case "\x17": {
        let i = this.#cursor;
        while (i > 0 && this.#chars[i - 1] === " ") i--;
        while (i > 0 && this.#chars[i - 1] !== " ") i--;
        this.#chars.splice(i, this.#cursor - i);
        this.#cursor = i;
        break;
      }
      case "\x1b[D":
        this.#cursor = Math.max(0, this.#cursor - 1);
        break;
      case "\x1b[C":
        this.#cursor = Math.min(this.#chars.length, this.#cursor + 1);
        break;
      case "\x1b[3~":
        this.#chars.splice(this.#cursor, 1);
        break;
      case "\x1b[A":
        this.#recall(-1);
        break;
      case "\x1b[B":
        this.#recall(1);
        break;
      default:
        // Printable characters only: a pasted escape sequence must not enter the line.
        if (k.length <= 2 && k >= " " && k !== "\x7f" && !/[\x80-\x9f]/.test(k)) {
          this.#chars.splice(this.#cursor++, 0, k);
        }
    }
    return { kind: "none" };
  }

  /**
   * The escape sequence that redraws the row: carriage return, clear line,
   * prompt and the visible part of the text, cursor in place.
   */
  render(prompt: string, columns: number): string {
    const room = Math.max(10, columns - [...prompt].length - 1);
    const start = Math.max(0, this.#cursor - room + 1);
    const visible = this.#chars.slice(start, start + room).join("");
    const back = this.#chars.slice(start, start + room).length - (this.#cursor - start);
    return `\r\x1b[2K${prompt}${visible}${back > 0 ? `\x1b[${back}D` : ""}`;
  }

  #recall(step: number): void {
    const i = this.#histIndex + step;
    if (i < 0 || i > this.#history.length) return;
    this.#histIndex = i;
    this.#chars = [...(this.#history[i] ?? "")];
    this.#cursor = this.#chars.length;
  }
}
