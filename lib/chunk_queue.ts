/**
 * Received bytes waiting for a reader that calls `read(buf)` as on a
 * `Deno.Conn`: the TLS and WebSocket connections push what their events
 * deliver, and the relay's and the client's connection code read it as a
 * stream. One reader at a time; an error ends the stream and is thrown to the
 * reader once what came before it has been read (or at once, if the unread
 * bytes are dropped).
 *
 * @module
 */

/** Bytes from an event source, read as a stream. */
export class ChunkQueue {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #closed = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Whether the stream has ended (by the peer, an error or {@linkcode close}). */
  get ended(): boolean {
    return this.#ended || this.#closed;
  }

  /** Adds received bytes (ignored once ended). */
  push(chunk: Uint8Array): void {
    if (this.ended) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#notify();
  }

  /**
   * No more input. With `err`, the reader gets it after the bytes still
   * unread, or at once when `dropUnread` is set.
   */
  end(err: Error | null, dropUnread = false): void {
    if (err && !this.#error) {
      this.#error = err;
      if (dropUnread) {
        this.#chunks = [];
        this.#buffered = 0;
      }
    }
    this.#ended = true;
    this.#notify();
  }

  /** Our side closed: a waiting or later read returns the end of the stream. */
  close(): void {
    this.#closed = true;
    this.#notify();
  }

  /** Reads into `buf`; null at the end of the stream; throws the error that ended it. */
  async read(buf: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended || this.#closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const c = this.#chunks[0];
    const n = Math.min(c.length, buf.length);
    buf.set(c.subarray(0, n));
    if (n === c.length) this.#chunks.shift();
    else this.#chunks[0] = c.subarray(n);
    this.#buffered -= n;
    return n;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
