/**
 * The load generator's cheap receivers: most clients of a text fan-out run only
 * count what they get, so the generator's CPU goes to the servers' deliveries
 * and not to decoding them. {@linkcode FrameCounter} walks our length-prefixed
 * frames and {@linkcode LineCounter} IRC lines, both across reads that split a
 * frame or a line anywhere, without copying what they count; the rare other
 * frames and lines (welcome, ping) are handed on whole. {@linkcode countLoop}
 * reads a socket into one fixed buffer at a slow pace; the few receivers that
 * decode, time and verify are picked in sample.ts.
 *
 * @module
 */

import type { ReadPacer } from "./driver.ts";
import { concatBytes } from "../lib/framing.ts";

/** Largest frame or line a counter collects for its `onOther` hook. */
const MAX_OTHER = 1 << 20;

/** Counts frames of one type (and their bytes, header included) in a byte stream. */
export class FrameCounter {
  /** Frames of the counted type seen so far. */
  frames = 0;
  /** Their bytes on the wire, 5-byte header included. */
  bytes = 0;
  readonly #type: number;
  readonly #onOther: (type: number, payload: Uint8Array) => void;
  readonly #head = new Uint8Array(5);
  #headFill = 0;
  /** Payload bytes of the current counted frame still to skip. */
  #skip = 0;
  /** A frame of another type being collected, and how much of it is in. */
  #other: Uint8Array | null = null;
  #otherType = 0;
  #otherFill = 0;

  /** Counts frames of `type`; every other frame goes whole to `onOther`. */
  constructor(type: number, onOther: (type: number, payload: Uint8Array) => void) {
    this.#type = type;
    this.#onOther = onOther;
  }

  /** Takes the bytes `buf[from, to)` that followed the last ones fed. */
  feed(buf: Uint8Array, from = 0, to = buf.length): void {
    let i = from;
    while (i < to) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, to - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      if (this.#other) {
        const n = Math.min(this.#other.length - this.#otherFill, to - i);
        this.#other.set(buf.subarray(i, i + n), this.#otherFill);
        this.#otherFill += n;
        i += n;
        if (this.#otherFill === this.#other.length) {
          const whole = this.#other;
          this.#other = null;
          this.#onOther(this.#otherType, whole);
        }
        continue;
      }
      let length: number;
      let type: number;
      if (this.#headFill === 0 && to - i >= 5) {
        length = ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) >>> 0;
        type = buf[i + 4];
        i += 5;
      } else {
        while (this.#headFill < 5 && i < to) this.#head[this.#headFill++] = buf[i++];
        if (this.#headFill < 5) return;
        const h = this.#head;
        length = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
        type = h[4];
        this.#headFill = 0;
      }
      if (length === 0 || length > MAX_OTHER) {
        throw new RangeError(`frame length ${length} is outside 1..${MAX_OTHER}`);
      }
      const payload = length - 1;
      if (type === this.#type) {
        this.frames++;
        this.bytes += 4 + length;
        this.#skip = payload;
      } else if (to - i >= payload) {
        this.#onOther(type, buf.subarray(i, i + payload));
        i += payload;
      } else {
        this.#other = new Uint8Array(payload);
        this.#otherType = type;
        this.#otherFill = 0;
      }
    }
  }
}

const LF = 0x0a;
const COLON = 0x3a;

/**
 * Counts newline-terminated lines that start with ":" (what an IRC server
 * relays from another client) and their bytes, newline included, once
 * `counting()` has held at a line's first byte; every other line (registration
 * replies before that, PING from the server) goes whole, without its newline,
 * to `onOther`.
 */
export class LineCounter {
  /** Relayed lines seen so far. */
  lines = 0;
  /** Their bytes, newline included. */
  bytes = 0;
  readonly #onOther: (line: Uint8Array) => void;
  readonly #counting: () => boolean;
  /** Bytes of the current line so far (0: at the start of a line). */
  #lineBytes = 0;
  /** Whether the current line is counted; set on its first byte. */
  #counted = true;
  /** Whether `counting()` has held (it is not asked again after). */
  #started = false;
  /** The parts of an uncounted line, collected across reads. */
  #other: Uint8Array[] = [];
  /** The last buffer fed and its word view. */
  #words: [Uint8Array, Int32Array] | null = null;

  /** Hands every line not counted to `onOther`. */
  constructor(onOther: (line: Uint8Array) => void, counting: () => boolean = () => true) {
    this.#onOther = onOther;
    this.#counting = counting;
  }

  /** Takes the bytes `buf[from, to)` that followed the last ones fed. */
  feed(buf: Uint8Array, from = 0, to = buf.length): void {
    // Locals, not fields, in the loop: this runs once per delivered line.
    const words = this.#wordsOf(buf);
    let lines = this.lines;
    let bytes = this.bytes;
    let lineBytes = this.#lineBytes;
    let counted = this.#counted;
    let i = from;
    while (i < to) {
      if (lineBytes === 0) {
        if (!this.#started) this.#started = this.#counting();
        counted = this.#started && buf[i] === COLON;
      }
      const e = findNewline(buf, words, i, to);
      const end = e < to ? e + 1 : to;
      lineBytes += end - i;
      if (!counted && lineBytes <= MAX_OTHER) this.#other.push(buf.slice(i, end));
      i = end;
      if (e === to) break;
      if (counted) {
        lines++;
        bytes += lineBytes;
      } else {
        const line = this.#other.length === 1 ? this.#other[0] : concatBytes(this.#other);
        this.#other = [];
        this.#onOther(line.subarray(0, line.length - 1));
      }
      lineBytes = 0;
    }
    this.lines = lines;
    this.bytes = bytes;
    this.#lineBytes = lineBytes;
    this.#counted = counted;
  }

  /** A word view of `buf` when it is 4-byte aligned (kept while the same buffer comes back). */
  #wordsOf(buf: Uint8Array): Int32Array | null {
    if ((buf.byteOffset & 3) !== 0) return null;
    if (this.#words?.[0] !== buf) {
      const view = new Int32Array(buf.buffer as ArrayBuffer, buf.byteOffset, buf.length >> 2);
      this.#words = [buf, view];
    }
    return this.#words[1];
  }
}

const LFS = 0x0a0a0a0a;

/**
 * Offset of the first newline in `buf[i, to)`, or `to`. With `words` (a view of
 * `buf`'s aligned words) it looks at four bytes at a time: a word holds a
 * newline when `w ^ 0x0a0a0a0a` has a zero byte. Scanning lines is what the
 * counting IRC receivers spend their time on.
 */
export function findNewline(
  buf: Uint8Array,
  words: Int32Array | null,
  i: number,
  to: number,
): number {
  if (words) {
    while (i < to && (i & 3) !== 0) {
      if (buf[i] === LF) return i;
      i++;
    }
    if (i >= to) return to;
    // i is aligned now; whole words below `to` only.
    const last = to >> 2;
    let w = i >> 2;
    while (w < last) {
      const x = words[w] ^ LFS;
      if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
      w++;
    }
    i = w << 2;
  }
  while (i < to && buf[i] !== LF) i++;
  return i;
}

/**
 * Reads `conn` into one fixed buffer of `bufBytes` and feeds `counter`. Between
 * reads it waits for the pacer's next tick once `paced()` says so, unless the
 * last read filled the buffer (more is waiting): so a cheap receiver costs a
 * read per tick, not per message, and never falls behind its socket.
 */
export async function countLoop(
  conn: Deno.Conn,
  counter: { feed(buf: Uint8Array, from: number, to: number): void },
  pacer: ReadPacer | null,
  paced: () => boolean,
  bufBytes = 65536,
): Promise<void> {
  const buf = new Uint8Array(bufBytes);
  let full = false;
  for (;;) {
    const tick = !full && paced() ? pacer?.wait() : null;
    if (tick) await tick;
    const n = await conn.read(buf);
    if (n === null) return;
    counter.feed(buf, 0, n);
    full = n === buf.length;
  }
}
