/**
 * The relay's TLS 1.3 listener. It is built on `node:net` and `node:tls`
 * rather than `Deno.listenTls` because a `Deno.TlsConn` offers no
 * `setNoDelay`: without TCP_NODELAY, Nagle's algorithm held each small write
 * (a voice frame, a text) until the client's delayed ACK, about 40 ms on
 * Linux. Each TLS socket is wrapped as a {@linkcode RelaySocket} so the relay's
 * connection code is the same with and without TLS: reads wait for the
 * handshake, so the hello deadline also bounds a handshake that never ends.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import { ChunkQueue } from "../chunk_queue.ts";
import { type RelayListener, type RelaySocket, writeAndDrain } from "./socket.ts";

// Reading stops (TCP backpressure) while this much decrypted input waits unread.
const READ_HIGH = 256 * 1024;
// After an orderly close (close_notify), a peer that does not finish is cut off.
const CLOSE_GRACE_MS = 1000;

/** A TLS connection seen through the relay's socket interface. */
class TlsSocketConn implements RelaySocket {
  readonly remoteAddr: Deno.NetAddr;
  readonly #raw: net.Socket;
  readonly #tls: tls.TLSSocket;
  readonly #input = new ChunkQueue();
  #closed = false;
  #secure = false;

  constructor(raw: net.Socket, context: tls.SecureContext) {
    this.#raw = raw;
    raw.setNoDelay(true);
    this.remoteAddr = {
      transport: "tcp",
      hostname: (raw.remoteAddress ?? "unknown").replace(/^::ffff:(?=\d+\.)/, ""),
      port: raw.remotePort ?? 0,
    };
    const s = this.#tls = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    s.on("data", (d: Uint8Array) => {
      this.#input.push(d);
      if (this.#input.buffered > READ_HIGH) s.pause();
    });
    s.once("secure", () => this.#secure = true);
    s.on("end", () => this.#end(null));
    s.on("close", () => this.#end(null));
    s.on("error", (err: Error) => this.#end(err));
    raw.on("error", (err: Error) => this.#end(err));
  }

  get handshaking(): boolean {
    return !this.#secure && !this.#closed;
  }

  async read(buf: Uint8Array): Promise<number | null> {
    const n = await this.#input.read(buf);
    if (this.#input.buffered <= READ_HIGH / 2 && this.#tls.isPaused()) this.#tls.resume();
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed || this.#tls.destroyed) {
      return Promise.reject(new Deno.errors.BrokenPipe("connection closed"));
    }
    return writeAndDrain(this.#tls, this.#raw, bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.close();
    if (!this.#secure) return this.#destroy();
    // end() sends close_notify after what is already written, so the client
    // reads an orderly end; a peer that does not take it is cut off.
    this.#tls.end();
    const timer = setTimeout(() => this.#destroy(), CLOSE_GRACE_MS);
    this.#raw.once("close", () => clearTimeout(timer));
  }

  #destroy(): void {
    this.#tls.destroy();
    this.#raw.destroy();
  }

  #end(err: Error | null): void {
    this.#input.end(err);
    if (err) this.#destroy();
  }
}

/** A listening TLS server; iterate it for connections. */
export class TlsListener implements RelayListener {
  readonly addr: Deno.NetAddr;
  readonly #server: net.Server;
  readonly #pending: RelaySocket[] = [];
  #wake: (() => void) | null = null;
  #closed = false;

  private constructor(server: net.Server, context: tls.SecureContext) {
    this.#server = server;
    const a = server.address() as net.AddressInfo;
    this.addr = { transport: "tcp", hostname: a.address, port: a.port };
    server.on("connection", (raw: net.Socket) => {
      this.#pending.push(new TlsSocketConn(raw, context));
      this.#notify();
    });
  }

  /** Listens on `hostname:port` serving `certPem`/`keyPem`; TLS 1.3 only. */
  static async open(
    hostname: string,
    port: number,
    certPem: string,
    keyPem: string,
    reusePort = false,
  ): Promise<TlsListener> {
    const context = tls.createSecureContext({ cert: certPem, key: keyPem, minVersion: "TLSv1.3" });
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: hostname, port, ...(reusePort ? { reusePort } : {}) }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new TlsListener(server, context);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RelaySocket> {
    while (!this.#closed) {
      const next = this.#pending.shift();
      if (next) yield next;
      else await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  close(): void {
    this.#closed = true;
    this.#server.close();
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
