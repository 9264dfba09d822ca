/**
 * Ordered, never-overlapping writes to one socket for the load generator:
 * bytes queued while a write is in flight join the next write, so a sender that
 * queues many messages in one tick costs one system call.
 *
 * @module
 */

/** Serialised writer over a `Deno.Conn`. */
export class ConnWriter {
  readonly #conn: Pick<Deno.Conn, "write">;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #busy = false;
  /** Bytes written so far. */
  written = 0;
  /** Set when a write failed (the peer went away). */
  error: unknown = null;

  /** Writes to `conn`. */
  constructor(conn: Pick<Deno.Conn, "write">) {
    this.#conn = conn;
  }

  /** Queues bytes; they leave on the next {@linkcode flush} (or after the write in flight). */
  queue(bytes: Uint8Array): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  /** Starts writing what is queued, unless a write is already in flight. */
  flush(): void {
    if (this.#busy || this.#pendingBytes === 0 || this.error) return;
    this.#busy = true;
    this.#run().catch((err) => this.error = err).finally(() => this.#busy = false);
  }

  async #run(): Promise<void> {
    while (this.#pendingBytes > 0) {
      const parts = this.#pending;
      const size = this.#pendingBytes;
      this.#pending = [];
      this.#pendingBytes = 0;
      let out: Uint8Array;
      if (parts.length === 1) out = parts[0];
      else {
        out = new Uint8Array(size);
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
      }
      let off = 0;
      while (off < out.length) off += await this.#conn.write(out.subarray(off));
      this.written += out.length;
    }
  }
}
