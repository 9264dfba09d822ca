/**
 * One connection (TLS, or plain TCP with `--no-tls`) from a client to a relay: frames in through the shared
 * decoder, frames out through a bounded send queue, keepalive pings, and a
 * watchdog that notices a relay gone silent (a half-open socket never says so).
 *
 * @module
 */

import type { RelayAddress } from "./address.ts";
import type { RelayConnector } from "./relay_trust.ts";
import { DEFAULT_MAX_FRAME, encodeFrame, FrameDecoder } from "../framing.ts";
import { encodeJson, FrameType } from "../protocol.ts";
import { SendQueue } from "../send_queue.ts";

const PING = encodeFrame(FrameType.Ping);

/** A live connection to a relay. */
export class ClientLink {
  readonly #conn: Deno.Conn;
  readonly #onFrame: (type: number, payload: Uint8Array) => void;
  readonly #queue: SendQueue;
  #ended: Error | null = null;
  #closed = false;
  #lastHeard = Date.now();
  #heardAny = false;

  private constructor(conn: Deno.Conn, onFrame: (type: number, payload: Uint8Array) => void) {
    this.#conn = conn;
    this.#onFrame = onFrame;
    // Voice beyond ~0.5 s of backlog is dropped; text waits (up to 8 MiB).
    this.#queue = new SendQueue(
      conn,
      { voiceBytes: 4096, maxBytes: 8 * 1024 * 1024 },
      () => this.fail(new Error("send queue overflow")),
      (err) => this.fail(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** Connects to a relay through `connect`; rejects when it cannot be reached or trusted. */
  static async open(
    addr: RelayAddress,
    onFrame: (type: number, payload: Uint8Array) => void,
    connect: RelayConnector,
    notice: (message: string) => void,
  ): Promise<ClientLink> {
    return new ClientLink(await connect(addr, notice), onFrame);
  }

  /** Queues a frame; voice frames say "voice" so they are dropped first. */
  send(frame: Uint8Array, priority: "control" | "voice" = "control"): void {
    this.#queue.send(frame, priority);
  }

  /**
   * Reads frames until the connection ends; resolves with why it ended (null
   * for an orderly close by the relay). Pings every `pingMs` and gives up when
   * nothing is heard for `silenceMs`.
   */
  async run(pingMs: number, silenceMs: number): Promise<Error | null> {
    const decoder = new FrameDecoder(DEFAULT_MAX_FRAME * 16);
    const timer = setInterval(() => {
      if (Date.now() - this.#lastHeard > silenceMs) {
        this.fail(new Error(`nothing heard from the relay for ${silenceMs / 1000} s`));
      } else this.#queue.send(PING, "control");
    }, pingMs);
    const buf = new Uint8Array(64 * 1024);
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        if (!this.#heardAny && (buf[0] === 0x15 || buf[0] === 0x16)) {
          // A TLS alert or handshake record where the first frame's length should be.
          throw new Error("the relay speaks TLS; connect without --no-tls");
        }
        this.#heardAny = true;
        this.#lastHeard = Date.now();
        for (const f of decoder.push(buf.subarray(0, n))) {
          this.#onFrame(f.type, f.payload);
          if (this.#closed) break;
        }
      }
    } catch (err) {
      // A relay that closes without TLS's close_notify has still just closed.
      const orderly = err instanceof Deno.errors.UnexpectedEof;
      if (!this.#closed && !orderly) {
        this.#ended = err instanceof Error ? err : new Error(String(err));
      }
    } finally {
      clearInterval(timer);
      this.#close();
    }
    return this.#ended;
  }

  /** Ends the connection, reporting `err` as the reason. */
  fail(err: Error): void {
    if (this.#closed) return;
    this.#ended = err;
    this.#close();
  }

  /** Says bye, waits for queued frames to leave (at most 2 s), and closes. */
  async bye(reason: string): Promise<void> {
    if (this.#closed) return;
    this.#queue.send(encodeFrame(FrameType.Bye, encodeJson({ reason })), "control");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#queue.drain(), new Promise((r) => timer = setTimeout(r, 2000))]);
    clearTimeout(timer);
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
