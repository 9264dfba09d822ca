/**
 * The least slack of a jitter buffer's recently played frames: how long each waited
 * between arriving and being handed to the device. The least over the last few
 * seconds tells how much of the buffer's delay the path actually needed, so the rest
 * can be given back; the least over the last half second, whether the path has
 * started to need more. Pure: the slacks are passed in.
 *
 * @module
 */

/** Least of the last slacks, in ms, over windows of up to `size` frames. */
export class SlackWindow {
  readonly #size: number;
  readonly #values: number[] = [];

  /** Remembers the last `size` slacks. */
  constructor(size: number) {
    this.#size = size;
  }

  /** Slacks noted, up to the window's size. */
  get size(): number {
    return this.#values.length;
  }

  /** Notes one played frame's slack. */
  add(ms: number): void {
    this.#values.push(ms);
    if (this.#values.length > this.#size) this.#values.shift();
  }

  /** Least of the last `count` slacks, or undefined while fewer have been noted. */
  least(count = this.#size): number | undefined {
    if (this.#values.length < count) return undefined;
    let least = Infinity;
    for (let i = this.#values.length - count; i < this.#values.length; i++) {
      least = Math.min(least, this.#values[i]);
    }
    return least;
  }

  /** Moves every slack by `ms`: the depth changed by that much, which they now describe. */
  shift(ms: number): void {
    for (let i = 0; i < this.#values.length; i++) this.#values[i] += ms;
  }

  /** Forgets all but the last `count` slacks. */
  keepLast(count: number): void {
    if (this.#values.length > count) this.#values.splice(0, this.#values.length - count);
  }

  /** Forgets the slacks (the depth just changed, so they no longer describe it). */
  clear(): void {
    this.#values.length = 0;
  }
}
