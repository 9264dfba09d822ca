/**
 * The relay: accepts TCP connections (TLS 1.3 unless told otherwise) and, on
 * its web port, WebSocket ones, starts each as a {@linkcode RelayConnection},
 * sweeps idle members and stale floors, and shuts down in order. Rooms are
 * room_registry.ts, the floor is floor_control.ts. It routes by metadata only
 * (room, nick, kind of frame) and never imports the cipher: it holds no key
 * and cannot read what it forwards.
 *
 * @module
 */

import { encodeFrame } from "../framing.ts";
import { encodeJson, type ErrorBody, FrameType, type Hello } from "../protocol.ts";
import { logEvent, type LogValue } from "../log.ts";
import { RelayConnection } from "./connection.ts";
import type { RelayContext } from "./context.ts";
import { Coalescer } from "./coalescer.ts";
import type { RelayCluster } from "./cluster_link.ts";
import { type ConnectionGate, CountingGate, type Refusal } from "./connection_gate.ts";
import { announceTalk, requestFloor } from "./floor_control.ts";
import { ListenError, listenError, webListenError, webOffReason } from "./listen_error.ts";
import { DEFAULT_RELAY_OPTIONS, type RelayOptions } from "./options.ts";
import { RoomRegistry } from "./room_registry.ts";
import { recentTextsOf } from "./room_history.ts";
import type { RelayListener, RelaySocket } from "./socket.ts";
import { TlsListener } from "./tls_listener.ts";
import { serveWeb, type WebServer } from "./web_server.ts";
import { acceptLoop } from "./accept_loop.ts";

/** A running relay. */
export class Relay implements RelayContext {
  /** Settings in force. */
  readonly options: RelayOptions;
  /** The shared flush turn of this relay's connections while it is busy. */
  readonly coalescer: Coalescer;
  readonly #rooms: RoomRegistry;
  readonly #conns = new Set<RelayConnection>();
  readonly #log: (event: string, fields: Record<string, LogValue>) => void;
  #listener: RelayListener | null = null;
  #web: WebServer | null = null;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #cluster: RelayCluster | null = null;
  #gate: ConnectionGate;

  /** A relay with `options` over the defaults; `log` defaults to stderr lines. */
  constructor(
    options: Partial<RelayOptions> = {},
    log: (event: string, fields: Record<string, LogValue>) => void = logEvent,
  ) {
    this.options = { ...DEFAULT_RELAY_OPTIONS, ...options };
    this.coalescer = new Coalescer(this.options.coalesce);
    this.#log = log;
    this.#gate = new CountingGate(this.options);
    this.#rooms = new RoomRegistry(this);
  }

  /** Connections open now, joined or not. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Makes this relay part of a cluster (call before {@linkcode listen}). */
  useCluster(cluster: RelayCluster): void {
    this.#cluster = cluster;
  }

  /** The cluster this relay is part of, or null. */
  get cluster(): RelayCluster | null {
    return this.#cluster;
  }

  /** Counts connections against the limits elsewhere (the workers' shared gate); before {@linkcode listen}. */
  useGate(gate: ConnectionGate): void {
    this.#gate = gate;
  }

  /** The web port's bound address, once listening (null when it serves none). */
  get webAddr(): Deno.NetAddr | null {
    return this.#web?.addr ?? null;
  }

  /** Starts listening (with TLS when the options hold a certificate); returns the bound address. */
  async listen(): Promise<Deno.NetAddr> {
    const { host, port, tls, reusePort, io } = this.options;
    if (io !== "deno" && tls) {
      // The TLS layer is Node's, over Deno's sockets: epoll would silently serve plain TCP.
      throw new ListenError(`--io ${io} serves plain TCP only: add --no-tls, or use --io deno`);
    }
    try {
      // Loaded only when asked for: a relay on Deno's I/O never opens libc.
      this.#listener = io === "epoll"
        ? (await import("./epoll/listener.ts")).EpollListener.open(host, port, reusePort)
        : io === "uring"
        ? (await import("./uring/listener.ts")).UringListener.open(host, port, reusePort)
        : tls
        ? await TlsListener.open(host, port, tls.certPem, tls.keyPem, reusePort)
        : reusePort
        ? Deno.listen({ hostname: host, port, transport: "tcp", reusePort })
        : Deno.listen({ hostname: host, port, transport: "tcp" });
    } catch (cause) {
      throw listenError(cause, host, port);
    }
    const addr = this.#listener.addr as Deno.NetAddr;
    this.log("listening", {
      address: `${addr.hostname}:${addr.port}`,
      duplex: this.options.duplex,
      tls: tls ? "TLSv1.3" : "off",
      io: io === "deno" ? undefined : io,
      fingerprint: tls?.fingerprint,
    });
    await this.#listenWeb();
    this.#sweeper = setInterval(() => this.#sweep(), 1000);
    return addr;
  }

  /** Opens the web port, if any: the same relay, reached by browsers over WebSocket. */
  async #listenWeb(): Promise<void> {
    const { host, tls, web } = this.options;
    if (!web) return;
    try {
      this.#web = await serveWeb({
        hostname: host,
        port: web.port,
        tls,
        reusePort: this.options.reusePort,
        // The hello deadline also bounds a TLS handshake and request head on the web port.
        headTimeoutMs: this.options.helloTimeoutMs,
        accept: (socket) => this.#stopping ? socket.close() : this.#accept(socket),
      });
    } catch (cause) {
      const err = webListenError(cause, host, web.port, web.optional);
      if (!err) {
        this.log("web-off", { reason: webOffReason(web.port) });
        return;
      }
      this.#listener?.close();
      throw err;
    }
    const a = this.#web.addr;
    this.log("web", { address: `${a.hostname}:${a.port}`, tls: tls ? "on" : "off" });
  }

  /** Accepts connections until {@linkcode shutdown}, and resolves once that has finished. */
  async serve(): Promise<void> {
    if (!this.#listener) await this.listen();
    await acceptLoop(this.#listener!, {
      accept: (conn) => this.#accept(conn),
      stopping: () => this.#stopping,
      // Every descriptor is held by connections already open; the relay stays up.
      paused: () =>
        this.log("accept-paused", {
          reason: "out of file descriptors: raise the limit (ulimit -n) or lower --max-clients",
          clients: this.#conns.size,
        }),
    });
    // The listener closes first thing in a shutdown; the goodbyes are still being written.
    await this.#stopped;
  }

  /** Tells every client the relay is going away, flushes, and closes everything. */
  shutdown(reason = "relay shutting down"): Promise<void> {
    this.#stopped ??= this.#shutdown(reason);
    return this.#stopped;
  }

  async #shutdown(reason: string): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#sweeper);
    try {
      this.#listener?.close();
    } catch {
      // Already closed.
    }
    // Stops taking requests; the open WebSocket connections close with the others below.
    this.#web?.close().catch(() => {});
    this.log("shutdown", { clients: this.#conns.size });
    const frame = encodeFrame(FrameType.Bye, encodeJson({ reason }));
    const waits = [...this.#conns].map((c) => {
      c.deliver(frame, "control");
      c.closeAfterFlush("relay shutting down");
      return c.done;
    });
    await Promise.all(waits);
  }

  /** The room's recent texts for a resuming member: this relay's, or a longer list from the cluster. */
  async recentTexts(conn: RelayConnection): Promise<Uint8Array[]> {
    const room = conn.room!;
    const local = recentTextsOf(room).except(conn.member.nick, Date.now());
    if (!this.#cluster) return local;
    const remote = await this.#cluster.recentTexts(room, conn.member.nick).catch(() => []);
    // One relay's list, in its order: merging two could reorder what it shows.
    return remote.length > local.length ? remote : local;
  }

  /** Logs one event. */
  log(event: string, fields: Record<string, LogValue>): void {
    this.#log(event, fields);
  }

  #accept(conn: RelaySocket): void {
    const c = new RelayConnection(this, conn);
    this.#conns.add(c);
    this.log("connect", { peer: c.peer });
    const verdict = this.#gate.open(c.ip);
    if (verdict instanceof Promise) verdict.then((v) => this.#admit(c, v));
    else this.#admit(c, verdict);
  }

  /** Starts a connection the gate let in, or turns it away with the gate's reason. */
  #admit(c: RelayConnection, refusal: Refusal | null): void {
    if (c.closed) return; // a shutdown came first
    if (refusal) c.fail(refusal.code, refusal.message);
    c.run();
  }

  /** Admits a connection to the room its hello names, or says why not. */
  join(conn: RelayConnection, hello: Hello): ErrorBody | null {
    const refusal = this.#rooms.join(conn, hello);
    if (refusal) return refusal;
    const room = conn.room!;
    this.log("join", {
      peer: conn.peer,
      nick: conn.member.nick,
      room: room.name,
      members: room.size,
    });
    return null;
  }

  /** Forgets a closed connection. */
  leave(conn: RelayConnection): void {
    if (!this.#conns.delete(conn)) return;
    this.#gate.close(conn.ip);
    this.#rooms.leave(conn);
  }

  /** Handles a request to take or give up the floor. */
  talk(conn: RelayConnection, on: boolean): void {
    requestFloor(this, conn, on);
  }

  #sweep(): void {
    const now = Date.now();
    const { idleTimeoutMs, floorTimeoutMs } = this.options;
    for (const c of this.#conns) {
      if (now - c.lastHeard > idleTimeoutMs) {
        c.fail("disconnected", `nothing heard for ${idleTimeoutMs} ms; closing`);
      } else if (c.room?.floor.mayTalk(c.member.nick) && now - c.lastVoice > floorTimeoutMs) {
        if (c.room.floor.release(c.member.nick)) announceTalk(this, c.room, c.member.nick, false);
      }
    }
  }
}
