/**
 * The least slack of a jitter buffer's recently played frames: how long each waited
 * between arriving and being handed to the device. The least over the last half
 * second tells how much of the buffer's delay the path actually needed; the rest can
 * be given back. Pure: the slacks are passed in.
 *
 * @module
 */

/** Least of the last `size` slacks, in ms. */
export class SlackWindow {
  readonly #size: number;
  readonly #values: number[] = [];

  /** Remembers `size` slacks; judges only when it holds that many. */
  constructor(size: number) {
    this.#size = size;
  }

  /** Notes one played frame's slack. */
  add(ms: number): void {
    this.#values.push(ms);
    if (this.#values.length > this.#size) this.#values.shift();
  }

  /** Least slack of a full window, or undefined while it is filling. */
  get least(): number | undefined {
    if (this.#values.length < this.#size) return undefined;
    let least = Infinity;
    for (const v of this.#values) least = Math.min(least, v);
    return least;
  }

  /** Forgets the slacks (the depth just changed, so they no longer describe it). */
  clear(): void {
    this.#values.length = 0;
  }
}
