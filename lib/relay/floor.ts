/**
 * Who may talk in a room. In a half-duplex room one member holds the floor at a
 * time; in a full-duplex room anyone may talk at once and the set of talkers is
 * only tracked so that members can see who is talking. Pure logic: it takes
 * requests and returns decisions; the relay turns them into frames.
 *
 * @module
 */

/** Floor mode of a room. */
export type Duplex = "half" | "full";

/** Outcome of a request to talk. */
export type TalkDecision =
  | { granted: true; changed: boolean }
  | { granted: false; holder: string };

/** Floor state of one room. */
export class Floor {
  /** The room's mode. */
  readonly duplex: Duplex;
  readonly #talkers = new Set<string>();

  /** A floor for a room of the given mode. */
  constructor(duplex: Duplex) {
    this.duplex = duplex;
  }

  /** Who is talking now (the holder, in a half-duplex room). */
  get talkers(): string[] {
    return [...this.#talkers];
  }

  /** The member asks to talk. `changed` is false when it already was talking. */
  request(nick: string): TalkDecision {
    if (this.#talkers.has(nick)) return { granted: true, changed: false };
    if (this.duplex === "half" && this.#talkers.size > 0) {
      return { granted: false, holder: this.#talkers.values().next().value as string };
    }
    this.#talkers.add(nick);
    return { granted: true, changed: true };
  }

  /** The member stops talking (or leaves); returns whether it was talking. */
  release(nick: string): boolean {
    return this.#talkers.delete(nick);
  }

  /** Whether the member may send voice now. */
  mayTalk(nick: string): boolean {
    return this.#talkers.has(nick);
  }
}
