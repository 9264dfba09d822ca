/**
 * The relay: accepts TCP connections (TLS 1.3 unless told otherwise), admits them to rooms, runs the floor,
 * and shuts down in order. It routes by metadata only (room, nick, kind of
 * frame) and never imports the cipher: it holds no key and cannot read what
 * it forwards.
 *
 * @module
 */

import { encodeFrame } from "../framing.ts";
import {
  encodeJson,
  type ErrorBody,
  FrameType,
  type Hello,
  type Member,
  PROTOCOL_VERSION,
  type Welcome,
} from "../protocol.ts";
import { logEvent, type LogValue } from "../log.ts";
import { RelayConnection } from "./connection.ts";
import type { RelayContext } from "./context.ts";
import { Coalescer } from "./coalescer.ts";
import type { RelayCluster } from "./cluster_link.ts";
import { type ConnectionGate, CountingGate, type Refusal } from "./connection_gate.ts";
import { DEFAULT_RELAY_OPTIONS, type RelayOptions } from "./options.ts";
import { Room } from "./room.ts";
import { recentTextsOf } from "./room_history.ts";
import type { RelayListener, RelaySocket } from "./socket.ts";
import { TlsListener } from "./tls_listener.ts";
import { serveWeb, type WebServer } from "./web_server.ts";

/** Raised when the relay cannot listen (port in use, bad address, no permission). */
export class ListenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ListenError";
  }
}

/** The {@linkcode ListenError} for a failure to listen on `host:port`, saying what to do. */
export function listenError(cause: unknown, host: string, port: number): ListenError {
  const code = (cause as { code?: string }).code;
  const why = cause instanceof Deno.errors.AddrInUse || code === "EADDRINUSE"
    ? `port ${port} is already in use; stop the other program or pick another --port`
    : cause instanceof Deno.errors.PermissionDenied || code === "EACCES"
    ? `no permission to listen on ${host}:${port}; pick a port above 1023`
    : `cannot listen on ${host}:${port}: ${(cause as Error).message}`;
  return new ListenError(why, { cause });
}

/** A running relay. */
export class Relay implements RelayContext {
  /** Settings in force. */
  readonly options: RelayOptions;
  /** The shared flush turn of this relay's connections while it is busy. */
  readonly coalescer: Coalescer;
  readonly #rooms = new Map<string, Room>();
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
  }

  /** Connections open now, joined or not. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Makes this relay part of a cluster (call before {@linkcode listen}). */
  useCluster(cluster: RelayCluster): void {
    this.#cluster = cluster;
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
    const { host, port, tls, reusePort } = this.options;
    try {
      this.#listener = tls
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
      const code = (cause as { code?: string }).code;
      const inUse = cause instanceof Deno.errors.AddrInUse || code === "EADDRINUSE";
      if (inUse && web.optional) {
        this.log("web-off", { reason: `port ${web.port} is in use; give --web-port or --no-web` });
        return;
      }
      this.#listener?.close();
      throw new ListenError(
        inUse
          ? `web port ${web.port} is already in use; pick another --web-port or --no-web`
          : `cannot serve the web port ${host}:${web.port}: ${(cause as Error).message}`,
        { cause },
      );
    }
    const a = this.#web.addr;
    this.log("web", { address: `${a.hostname}:${a.port}`, tls: tls ? "on" : "off" });
  }

  /** Accepts connections until {@linkcode shutdown}, and resolves once that has finished. */
  async serve(): Promise<void> {
    if (!this.#listener) await this.listen();
    try {
      for await (const conn of this.#listener!) this.#accept(conn);
    } catch (err) {
      if (!this.#stopping) throw err;
    }
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
    // The same client session coming back before its old socket timed out, or, in
    // a cluster, failing over from another relay: the new connection replaces it.
    const replace = (room: Room | undefined) => {
      const same = room?.get(hello.nick);
      if (same?.close && same.member.session === hello.session) {
        same.close("replaced by a new connection of the same session");
      }
    };
    replace(this.#rooms.get(hello.room));
    let room = this.#rooms.get(hello.room);
    if (!room) {
      room = new Room(hello.room, this.options.duplex);
      this.#rooms.set(hello.room, room);
      this.#cluster?.openRoom(room);
      // Opening mirrors the cluster's members, possibly this session on a dead relay.
      replace(room);
    }
    if (room.has(hello.nick)) {
      this.#releaseRoom(room);
      return {
        code: "nick-taken",
        message: `the nick ${hello.nick} is taken in ${hello.room}; pick another with --nick`,
      };
    }
    const id = room.allocateId();
    if (id === null) {
      this.#releaseRoom(room);
      return { code: "server-full", message: `room ${hello.room} is full` };
    }
    const member: Member = {
      nick: hello.nick,
      id,
      session: hello.session,
      keyId: hello.keyId,
      identity: hello.identity,
      ephemeral: hello.ephemeral,
      sig: hello.sig,
    };
    conn.member = member;
    conn.room = room;
    room.broadcast(encodeFrame(FrameType.Joined, encodeJson(member)), "control");
    room.add(conn);
    this.#cluster?.memberJoined(room, conn);
    const welcome: Welcome = {
      v: PROTOCOL_VERSION,
      self: member,
      room: room.name,
      duplex: room.floor.duplex,
      members: room.members(),
      talking: room.floor.talkers,
      limits: {
        textRate: this.options.textRate,
        textBurst: this.options.textBurst,
        maxFrame: this.options.maxFrame,
        keyShareRate: this.options.keyShareRate,
        keyShareBurst: this.options.keyShareBurst,
      },
    };
    conn.sendControl(FrameType.Welcome, welcome);
    this.log("join", { peer: conn.peer, nick: member.nick, room: room.name, members: room.size });
    return null;
  }

  /** Forgets a closed connection. */
  leave(conn: RelayConnection): void {
    if (!this.#conns.delete(conn)) return;
    this.#gate.close(conn.ip);
    const room = conn.room;
    if (!room) return;
    const wasTalking = room.remove(conn);
    if (wasTalking) this.#announceTalk(room, conn.member.nick, false);
    room.broadcast(encodeFrame(FrameType.Left, encodeJson(conn.member)), "control");
    this.#cluster?.memberLeft(room, conn.member);
    this.#releaseRoom(room);
  }

  /** Forgets a room nobody on this relay is in. */
  #releaseRoom(room: Room): void {
    this.#cluster?.roomIdle(room);
    if (room.size === 0 && this.#rooms.get(room.name) === room) this.#rooms.delete(room.name);
  }

  /** Handles a request to take or give up the floor. */
  talk(conn: RelayConnection, on: boolean): void {
    const room = conn.room!;
    const nick = conn.member.nick;
    if (!on) {
      if (room.floor.release(nick)) this.#announceTalk(room, nick, false);
      return;
    }
    const decision = room.floor.request(nick);
    if (!decision.granted) {
      conn.sendControl(FrameType.FloorDenied, { holder: decision.holder });
      return;
    }
    conn.lastVoice = Date.now();
    if (decision.changed && this.#cluster && room.floor.duplex === "half") {
      // Held here provisionally (no one else on this relay gets it meanwhile)
      // until the cluster says whether a member of another relay holds it.
      this.#cluster.claimFloor(room, nick).then((holder) => {
        if (holder !== null) {
          room.floor.release(nick);
          if (!conn.closed) conn.sendControl(FrameType.FloorDenied, { holder });
        } else if (conn.closed || !room.floor.mayTalk(nick)) {
          this.#cluster?.releaseFloor(room, nick);
        } else {
          conn.lastVoice = Date.now();
          this.#announceTalk(room, nick, true);
        }
      });
      return;
    }
    // Also tell the talker, as its grant, even when it was already talking.
    if (decision.changed) this.#announceTalk(room, nick, true);
    else conn.sendControl(FrameType.TalkState, { nick, on: true });
  }

  #announceTalk(room: Room, nick: string, on: boolean): void {
    if (!on) this.#cluster?.releaseFloor(room, nick);
    room.broadcast(encodeFrame(FrameType.TalkState, encodeJson({ nick, on })), "control");
    this.log(on ? "talk-start" : "talk-end", { nick, room: room.name });
  }

  #sweep(): void {
    const now = Date.now();
    const { idleTimeoutMs, floorTimeoutMs } = this.options;
    for (const c of this.#conns) {
      if (now - c.lastHeard > idleTimeoutMs) {
        c.fail("disconnected", `nothing heard for ${idleTimeoutMs} ms; closing`);
      } else if (c.room?.floor.mayTalk(c.member.nick) && now - c.lastVoice > floorTimeoutMs) {
        if (c.room.floor.release(c.member.nick)) this.#announceTalk(c.room, c.member.nick, false);
      }
    }
  }
}
