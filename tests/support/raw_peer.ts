/**
 * The wire seen from outside the clients: a proxy that records every byte
 * between clients and a relay (to prove the relay only ever sees ciphertext),
 * and a raw peer that speaks the framed protocol to a relay directly.
 *
 * @module
 */

import { concatBytes } from "../../lib/framing.ts";
import { openWebSocket } from "../../lib/websocket_conn.ts";
import { RELAY_CERT_NAME } from "../../lib/tls/mod.ts";
import { plainPorts, relayAnchors, waitUntil } from "./test_env.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A TCP proxy that records every byte in each direction, for wire inspection. */
export class RecordingProxy {
  readonly port: number;
  /** Bytes from clients to the relay. */
  readonly upstream: Uint8Array[] = [];
  /** Bytes from the relay to clients. */
  readonly downstream: Uint8Array[] = [];
  readonly #listener: Deno.Listener;
  readonly #conns = new Set<Deno.Conn>();

  /** Proxies a new free port to `target` on loopback. */
  constructor(target: number) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    if (plainPorts.has(target)) plainPorts.add(this.port);
    (async () => {
      for await (const client of listener) {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: target });
        this.#conns.add(client).add(server);
        this.#pipe(client, server, this.upstream);
        this.#pipe(server, client, this.downstream);
      }
    })().catch(() => {});
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn, log: Uint8Array[]): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        log.push(buf.slice(0, n));
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // One side went away.
    }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
  }

  /** Bytes seen in both directions, joined. */
  allBytes(): Uint8Array {
    return concatBytes([...this.upstream, ...this.downstream]);
  }

  /** Stops accepting and closes every proxied connection. */
  close(): void {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
  }
}

/** Whether `needle` occurs in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** A frame received by a {@linkcode RawPeer}. */
export interface RawFrame {
  /** Frame type. */
  type: number;
  /** Payload bytes. */
  payload: Uint8Array;
}

/** Bytes of a hello frame (valid unless the caller passes odd fields). */
export function helloFrame(
  nick: string,
  room = "lobby",
  extra: Record<string, unknown> = {},
): Uint8Array {
  const session = Array.from(crypto.getRandomValues(new Uint8Array(16)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const body = { v: 1, nick, room, session, keyId: "00112233445566ff", ...extra };
  const payload = encoder.encode(JSON.stringify(body));
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1);
  out[4] = 0x01;
  out.set(payload, 5);
  return out;
}

/**
 * A connection to the relay on 127.0.0.1:`port` for hand-made frames: over TLS,
 * verified against the relay's own certificate as a pinned client would, when
 * the relay serves TLS, unless `tls` is false (bytes straight onto the socket).
 */
export async function connectRelay(port: number, tls = !plainPorts.has(port)): Promise<Deno.Conn> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  tcp.setNoDelay(true);
  if (!tls) return tcp;
  const anchor = relayAnchors.get(port);
  if (!anchor) throw new Error(`no TLS relay was started on port ${port}`);
  const conn = await Deno.startTls(tcp, { hostname: RELAY_CERT_NAME, caCerts: [anchor] });
  await conn.handshake();
  return conn;
}

/**
 * A hand-driven TCP connection to a relay on loopback, speaking raw frames: for
 * hostile-input, flood and slow-reader tests. It reads (and decodes) only while
 * `reading` is true; error frames are parsed for convenience.
 */
export class RawPeer {
  readonly conn: Deno.Conn;
  /** Frames received so far. */
  readonly frames: RawFrame[] = [];
  /** Resolves when the relay closed the connection (or it failed). */
  readonly closed: Promise<void>;
  #buf = new Uint8Array(0);
  #listeners = new Set<() => void>();
  #isClosed = false;

  private constructor(conn: Deno.Conn, read: boolean) {
    this.conn = conn;
    this.closed = read ? this.#readLoop() : Promise.resolve();
  }

  /** Connects as {@linkcode connectRelay} does; `read` false leaves the socket unread. */
  static async connect(
    port: number,
    read = true,
    tls = !plainPorts.has(port),
  ): Promise<RawPeer> {
    return new RawPeer(await connectRelay(port, tls), read);
  }

  /** Connects to the relay's WebSocket endpoint on `webPort` (plain ws:// on loopback). */
  static async overWebSocket(webPort: number): Promise<RawPeer> {
    const ws = await openWebSocket(`ws://127.0.0.1:${webPort}/ws`);
    return new RawPeer(ws as unknown as Deno.Conn, true);
  }

  /** Whether the relay has closed the connection. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Bodies of the error frames received so far. */
  errors(): { code: string; message: string; fatal?: boolean }[] {
    return this.frames.filter((f) => f.type === 0x03).map((f) =>
      JSON.parse(decoder.decode(f.payload))
    );
  }

  /** Writes bytes; returns false when the socket is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until `pred` holds over the frames so far. */
  until(pred: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
    return waitUntil(this.#listeners, pred, what, timeoutMs);
  }

  /** Waits for an error frame with `code`; returns its body. */
  async error(code: string, timeoutMs = 10000): Promise<{ code: string; fatal?: boolean }> {
    await this.until(() => this.errors().some((e) => e.code === code), `error ${code}`, timeoutMs);
    return this.errors().find((e) => e.code === code)!;
  }

  /** Closes the socket. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.conn.read(chunk);
        if (n === null) break;
        const joined = new Uint8Array(this.#buf.length + n);
        joined.set(this.#buf);
        joined.set(chunk.subarray(0, n), this.#buf.length);
        let pos = 0;
        while (joined.length - pos >= 5) {
          const len = new DataView(joined.buffer, pos, 4).getUint32(0);
          if (joined.length - pos < 4 + len) break;
          this.frames.push({
            type: joined[pos + 4],
            payload: joined.slice(pos + 5, pos + 4 + len),
          });
          pos += 4 + len;
        }
        this.#buf = joined.slice(pos);
        for (const l of [...this.#listeners]) l();
      }
    } catch {
      // Reset by the relay.
    }
    this.#isClosed = true;
    for (const l of [...this.#listeners]) l();
  }
}
