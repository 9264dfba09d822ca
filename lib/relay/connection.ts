/**
 * One client connection on the relay: it holds the hello deadline, admits the
 * hello, and writes through a bounded {@linkcode SendQueue}; closing and fatal
 * errors end here. Reading is frame_reader.ts and a joined member's frames are
 * member_frames.ts. Sealed payloads pass through as opaque bytes: nothing here
 * can open them.
 *
 * @module
 */

import { encodeFrame, FrameDecoder } from "../framing.ts";
import {
  encodeJson,
  type ErrorBody,
  type ErrorCode,
  FrameType,
  type Member,
  parseHello,
  ProtocolError,
} from "../protocol.ts";
import type { Delivery, Room } from "./room.ts";
import { batchedScheduler, type Priority, SendQueue } from "../send_queue.ts";
import { ConnectionLimits } from "./connection_limits.ts";
import type { RelayContext } from "./context.ts";
import { type FrameSink, readFrames } from "./frame_reader.ts";
import { HeldTexts } from "./held_texts.ts";
import { badFrame, handleMemberFrame } from "./member_frames.ts";
import type { RelaySocket } from "./socket.ts";

/** One flush turn for every connection of the relay (see batchedScheduler). */
const flushAll = batchedScheduler();

/** Relay side of one client connection. */
export class RelayConnection implements Delivery, FrameSink {
  /** Peer IP address, for the per-address limit. */
  readonly ip: string;
  /** The member entry, once the hello is accepted. */
  member!: Member;
  /** The room, once joined. */
  room: Room | null = null;
  /** When the last frame arrived (ms since epoch), for the idle sweep. */
  lastHeard = Date.now();
  /** When this member last sent voice, for the floor timeout. */
  lastVoice = 0;
  /** This connection's rate limits and malformed-frame allowance. */
  readonly limits: ConnectionLimits;
  /** Texts this member has sent: the sequence number its last ack carried. */
  textsSent = 0;
  /** The sender stamp on this member's texts, made at its first forwarded text. */
  textStamp: Uint8Array | null = null;
  readonly #ctx: RelayContext;
  readonly #conn: RelaySocket;
  readonly #queue: SendQueue;
  readonly #decoder: FrameDecoder;
  #closed = false;
  /** Texts held back while a resuming member's history is being gathered. */
  #held: HeldTexts | null = null;
  /** Set by {@linkcode fail}: nothing more from this peer is handled. */
  #failing = false;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;
  // Made when someone waits for the close (a shutdown): an idle connection holds no promise.
  #done: Promise<void> | null = null;
  #resolveDone: (() => void) | null = null;

  /** Wraps an accepted connection. */
  constructor(ctx: RelayContext, conn: RelaySocket) {
    this.#ctx = ctx;
    this.#conn = conn;
    // Without TCP_NODELAY, Nagle may hold a small write (a voice frame, a text)
    // until the client's delayed ACK arrives (40–200 ms on Linux). TLS sockets set it themselves.
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    this.ip = (conn.remoteAddr as Deno.NetAddr).hostname;
    const o = ctx.options;
    this.#decoder = new FrameDecoder(o.maxFrame);
    this.#queue = new SendQueue(
      conn,
      o.queue,
      () => this.#slowConsumer(),
      () => this.close("write failed"),
      flushAll,
      ctx.coalescer.hold,
    );
    this.limits = new ConnectionLimits(o);
  }

  /** Peer address as host:port, for logs (made when a log line needs it). */
  get peer(): string {
    const { hostname, port } = this.#conn.remoteAddr as Deno.NetAddr;
    return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  }

  /** Settles when the connection has closed. */
  get done(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#done ??= new Promise((resolve) => this.#resolveDone = resolve);
    return this.#done;
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a fatal error is on its way to the peer: nothing more from it is handled. */
  get failing(): boolean {
    return this.#failing;
  }

  /** Starts the hello deadline, then reads and handles frames until the peer goes away. */
  run(): void {
    this.#helloTimer = setTimeout(() => {
      const why = `no hello within ${this.#ctx.options.helloTimeoutMs} ms`;
      if (!this.#conn.handshaking) return this.fail("hello-timeout", why);
      // No TLS yet, so no error frame can reach the peer: close at the deadline.
      this.#ctx.log("error", { peer: this.peer, code: "hello-timeout", fatal: true });
      this.close(`${why} (TLS handshake unfinished)`);
    }, this.#ctx.options.helloTimeoutMs);
    readFrames(this.#conn, this.#decoder, this);
  }

  /** Queues a frame to this client. */
  deliver(frame: Uint8Array, priority: Priority): boolean {
    if (this.#held && priority === "text") return this.#held.hold(frame);
    if (priority !== "voice") this.#ctx.coalescer.note();
    return this.#queue.send(frame, priority);
  }

  /** Queues a control frame with a JSON body. */
  sendControl(type: number, body: unknown): void {
    this.reply(encodeFrame(type, encodeJson(body)));
  }

  /** Queues a frame the peer waits for (welcome, error, ack, pong): never held for a turn. */
  reply(frame: Uint8Array): void {
    this.#queue.send(frame, "control", true);
  }

  /** Sends an error frame without closing. */
  error(code: ErrorCode, message: string): void {
    // One log line a second at most per connection: a flooder must not turn
    // the relay's log into its amplifier.
    const suppressed = this.limits.logError(Date.now());
    if (suppressed !== null) {
      this.#ctx.log("error", {
        peer: this.peer,
        nick: this.member?.nick,
        code,
        suppressed: suppressed || undefined,
      });
    }
    this.sendControl(FrameType.Error, { code, message, fatal: false } satisfies ErrorBody);
  }

  /** Sends a fatal error frame, then closes once it is written (or after a second). */
  fail(code: ErrorCode, message: string): void {
    if (this.#closed || this.#failing) return;
    this.#failing = true;
    this.#stopHelloTimer();
    this.#ctx.log("error", { peer: this.peer, nick: this.member?.nick, code, fatal: true });
    this.sendControl(FrameType.Error, { code, message, fatal: true } satisfies ErrorBody);
    this.closeAfterFlush(code);
  }

  /** Closes once queued frames are written, waiting at most a second. */
  closeAfterFlush(reason: string): void {
    const timer = setTimeout(() => this.close(reason), 1000);
    this.#queue.drain().then(() => {
      clearTimeout(timer);
      this.close(reason);
    });
  }

  /** Closes the connection now and leaves the room. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHelloTimer();
    this.#queue.close();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer.
    }
    this.#ctx.log("disconnect", {
      peer: this.peer,
      nick: this.member?.nick,
      room: this.room?.name,
      reason,
    });
    this.#ctx.leave(this);
    this.#resolveDone?.();
  }

  /** Clears the hello deadline and lets its timer go (an idle member keeps none). */
  #stopHelloTimer(): void {
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  /**
   * Handles one frame. Before the hello any protocol error is fatal; after it,
   * a malformed frame (bad JSON, bad UTF-8, unknown type, a second hello) is
   * answered with a non-fatal error and the connection goes on, unless the
   * peer keeps sending them.
   */
  handleFrame(type: number, payload: Uint8Array): void {
    try {
      if (this.room) handleMemberFrame(this, this.#ctx, this.room, type, payload);
      else this.#hello(type, payload);
    } catch (err) {
      if (!(err instanceof ProtocolError) || !this.room) throw err;
      badFrame(this, err.code, err.message);
    }
  }

  /** The first frame: a hello that joins a room, or a fatal error. */
  #hello(type: number, payload: Uint8Array): void {
    if (type !== FrameType.Hello) {
      return this.fail("bad-hello", "the first frame must be a hello");
    }
    this.#stopHelloTimer();
    const hello = parseHello(payload, this.#ctx.options);
    const refusal = this.#ctx.join(this, hello);
    if (refusal) return this.fail(refusal.code, refusal.message);
    if (hello.resume === true) {
      // Back after a lost connection: what the room said meanwhile (the client
      // drops what it already had), bounded to a quarter of its queue.
      // New texts wait behind the history, so the member sees them in order.
      this.#held = new HeldTexts();
      this.#ctx.recentTexts(this).then((history) => {
        const held = this.#held!;
        this.#held = null;
        const budget = this.#ctx.options.queue.maxBytes / 4;
        for (const f of held.release(history, budget)) this.deliver(f, "text");
      });
    }
  }

  #slowConsumer(): void {
    this.#ctx.log("error", { peer: this.peer, nick: this.member?.nick, code: "slow-consumer" });
    // The queue is full, so the error frame would wait behind it; close at once.
    this.close("slow consumer: send queue full");
  }
}
