/**
 * The interactive terminal front end: raw-mode input through a
 * {@linkcode LineEditor}, messages printed above the input line, a status
 * prompt (room, and a microphone level meter while talking).
 *
 * @module
 */

import { type EditorAction, LineEditor, splitKeys } from "./line_editor.ts";

const encoder = new TextEncoder();

/** A terminal session; call {@linkcode TerminalUi.close} to restore the terminal. */
export class TerminalUi {
  readonly #editor = new LineEditor();
  readonly #onAction: (a: EditorAction) => void;
  #prompt: string;
  #closed = false;

  /** Takes over the terminal; `onAction` receives submitted lines and special keys. */
  constructor(prompt: string, onAction: (a: EditorAction) => void) {
    this.#prompt = prompt;
    this.#onAction = onAction;
    Deno.stdin.setRaw(true);
    this.#redraw();
  }

  /** Reads keys until end of input or {@linkcode close}. */
  async run(): Promise<void> {
    const buf = new Uint8Array(4096);
    const decoder = new TextDecoder();
    while (!this.#closed) {
      const n = await Deno.stdin.read(buf);
      if (n === null) return this.#onAction({ kind: "eof" });
      for (const k of splitKeys(decoder.decode(buf.subarray(0, n), { stream: true }))) {
        const action = this.#editor.key(k);
        if (action.kind === "submit") this.#write("\r\x1b[2K");
        this.#redraw();
        if (action.kind !== "none") this.#onAction(action);
      }
    }
  }

  /** Prints a line (already made safe) above the input line. */
  print(line: string): void {
    if (this.#closed) return void console.log(line);
    this.#write(`\r\x1b[2K${line.replaceAll("\n", "\r\n")}\r\n`);
    this.#redraw();
  }

  /** Changes the prompt (status: room, talking, level meter). */
  setPrompt(prompt: string): void {
    if (prompt === this.#prompt) return;
    this.#prompt = prompt;
    this.#redraw();
  }

  /** Restores the terminal. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#write("\r\x1b[2K");
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin already gone.
    }
  }

  #redraw(): void {
    if (this.#closed) return;
    let columns = 80;
    try {
      columns = Deno.consoleSize().columns;
    } catch {
      // Not a console: keep 80.
    }
    this.#write(this.#editor.render(this.#prompt, columns));
  }

  #write(s: string): void {
    try {
      Deno.stdout.writeSync(encoder.encode(s));
    } catch {
      this.#closed = true;
    }
  }
}
