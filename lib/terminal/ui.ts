/**
 * The interactive terminal front end: a full-screen layout on the alternate
 * screen buffer, with the transcript on top, the status line under it and the
 * input line at the bottom. Keys go through a {@linkcode LineEditor}; what is
 * shown comes from a {@linkcode ScreenModel}. The whole screen is redrawn
 * from the model (and on SIGWINCH at the new size), so incoming lines never
 * break the line being typed. {@linkcode TerminalUi.close} restores the
 * terminal: main screen, cursor, cooked mode.
 *
 * @module
 */

import { COMMAND_NAMES } from "../client/commands.ts";
import { complete } from "./completion.ts";
import { type EditorAction, LineEditor, splitKeys } from "./line_editor.ts";
import type { ScreenModel } from "./screen_model.ts";
import { paint, type Span } from "./style.ts";

const encoder = new TextEncoder();
const PROMPT = "> ";

/** Line-level actions for the program: submitted lines, quitting, talking. */
export type UiAction = Extract<
  EditorAction,
  { kind: "submit" | "eof" | "interrupt" | "toggle-talk" }
>;

/** A terminal session; call {@linkcode TerminalUi.close} to restore the terminal. */
export class TerminalUi {
  readonly #editor = new LineEditor();
  readonly #model: ScreenModel;
  readonly #onAction: (a: UiAction) => void;
  readonly #colour: boolean;
  readonly #onResize = () => this.draw();
  readonly #ticker: ReturnType<typeof setInterval>;
  #secret: { prompt: string; chars: string[]; done: (s: string | null) => void } | null = null;
  #closed = false;

  /** Takes over the terminal; `onAction` receives submitted lines and special keys. */
  constructor(model: ScreenModel, onAction: (a: UiAction) => void, colour: boolean) {
    this.#model = model;
    this.#onAction = onAction;
    this.#colour = colour;
    Deno.stdin.setRaw(true);
    // Alternate screen, cleared; the main screen comes back untouched on close.
    this.#write("\x1b[?1049h\x1b[H\x1b[2J");
    Deno.addSignalListener("SIGWINCH", this.#onResize);
    // The talk time and a reconnect countdown move once a second.
    this.#ticker = setInterval(() => {
      if (this.#model.talking || this.#model.counting) this.drawStatus();
    }, 1000);
    this.draw();
  }

  /** Reads keys until end of input or {@linkcode close}. */
  async run(): Promise<void> {
    const buf = new Uint8Array(4096);
    const decoder = new TextDecoder();
    while (!this.#closed) {
      const n = await Deno.stdin.read(buf);
      if (n === null) return this.#onAction({ kind: "eof" });
      for (const k of splitKeys(decoder.decode(buf.subarray(0, n), { stream: true }))) {
        if (this.#secret) this.#secretKey(k);
        else this.#key(k);
      }
    }
  }

  /** Asks for a secret on the input line without echoing it; null when given up (Ctrl-C, Esc). */
  askSecret(prompt: string): Promise<string | null> {
    return new Promise((done) => {
      this.#secret = { prompt, chars: [], done };
      this.drawStatus();
    });
  }

  /** Rings the terminal bell. */
  bell(): void {
    this.#write("\x07");
  }

  /** Redraws everything: transcript, status line, input line. */
  draw(): void {
    if (this.#closed) return;
    const { columns, rows } = this.#size();
    const frame = this.#model.frame(columns, rows - 2, Date.now());
    let out = "\x1b[?25l";
    frame.rows.forEach((row, i) => out += `\x1b[${i + 1};1H\x1b[2K${paint(row, this.#colour)}`);
    this.#write(out + this.#bottom(frame.status, columns, rows));
  }

  /** Redraws the status and input lines only (a level meter moves 50 times a second). */
  drawStatus(): void {
    if (this.#closed) return;
    const { columns, rows } = this.#size();
    const status = this.#model.statusLine(columns, Date.now());
    this.#write("\x1b[?25l" + this.#bottom(status, columns, rows));
  }

  /** Restores the terminal. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ticker);
    Deno.removeSignalListener("SIGWINCH", this.#onResize);
    this.#write("\x1b[0m\x1b[?25h\x1b[?1049l");
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin already gone.
    }
    this.#secret?.done(null);
  }

  #bottom(status: Span[], columns: number, rows: number): string {
    const input = this.#secret
      ? `\r\x1b[2K${this.#secret.prompt}`
      : this.#editor.render(PROMPT, columns);
    return `\x1b[${rows - 1};1H\x1b[2K${paint(status, this.#colour)}` +
      `\x1b[${rows};1H${input}\x1b[?25h`;
  }

  #key(k: string): void {
    const action = this.#editor.key(k);
    switch (action.kind) {
      case "none":
        return this.drawStatus();
      case "complete": {
        const c = complete(
          this.#editor.line,
          this.#editor.cursor,
          this.#model.members,
          COMMAND_NAMES,
        );
        this.#editor.set(c.line, c.cursor);
        if (c.options.length > 0) {
          this.#model.info(c.options.join("  "), Date.now());
          return this.draw();
        }
        return this.drawStatus();
      }
      case "page-up":
      case "page-down":
        this.#model.scroll(action.kind === "page-up" ? 1 : -1, this.#size().rows - 2);
        return this.draw();
      default:
        this.drawStatus();
        this.#onAction(action);
    }
  }

  #secretKey(k: string): void {
    const s = this.#secret!;
    if (k === "\r" || k === "\n" || k === "\x03" || k === "\x04" || k === "\x1b") {
      this.#secret = null;
      this.drawStatus();
      const given = k === "\r" || k === "\n";
      s.done(given && s.chars.length > 0 ? s.chars.join("") : null);
    } else if (k === "\x7f" || k === "\b") s.chars.pop();
    else if (k.length <= 2 && k >= " ") s.chars.push(k);
  }

  #size(): { columns: number; rows: number } {
    try {
      const { columns, rows } = Deno.consoleSize();
      return { columns: Math.max(10, columns), rows: Math.max(3, rows) };
    } catch {
      return { columns: 80, rows: 24 };
    }
  }

  #write(s: string): void {
    try {
      const bytes = encoder.encode(s);
      let off = 0;
      while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
    } catch {
      this.#closed = true;
    }
  }
}
