/**
 * Texts held back from a member that is resuming after a lost connection,
 * while the room's recent history is gathered (from this relay, or from the
 * cluster): the member then gets the history first and the held texts after
 * it, so it sees everything in order. Pure logic over frames.
 *
 * @module
 */

/** Texts waiting behind a resuming member's history. */
export class HeldTexts {
  readonly #frames: Uint8Array[] = [];

  /** Holds one text frame; always accepted. */
  hold(frame: Uint8Array): true {
    this.#frames.push(frame);
    return true;
  }

  /**
   * The frames to deliver, in order: the history (oldest first) up to `budget`
   * bytes, then every held frame.
   */
  release(history: Uint8Array[], budget: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const f of history) {
      if ((budget -= f.length) < 0) break;
      out.push(f);
    }
    return out.concat(this.#frames);
  }
}
