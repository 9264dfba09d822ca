/**
 * One client connection on the relay: it reads frames, enforces the hello,
 * rate limits and floor, stamps the sender on what it forwards, and writes
 * through a bounded {@linkcode SendQueue}. Sealed payloads pass through as
 * opaque bytes: nothing here can open them.
 *
 * @module
 */

import {
  encodeFrame,
  encodeFrameParts,
  FrameDecoder,
  FrameTooLargeError,
  MalformedFrameError,
} from "../framing.ts";
import {
  ACK_FORWARDED,
  ACK_RATE_LIMITED,
  decodeJson,
  encodeAck,
  encodeJson,
  type ErrorBody,
  type ErrorCode,
  FrameType,
  type Member,
  nickStamp,
  parseHello,
  ProtocolError,
  type TalkRequest,
} from "../protocol.ts";
import type { Delivery, Room } from "./room.ts";
import { batchedScheduler, type Priority, SendQueue } from "../send_queue.ts";
import { ConnectionLimits } from "./connection_limits.ts";
import { recentTextsOf } from "./room_history.ts";
import type { RelayContext } from "./context.ts";
import { HeldTexts } from "./held_texts.ts";
import type { RelaySocket } from "./socket.ts";
import { ReadSlots, SLOT_BYTES } from "./read_slots.ts";

// An idle connection keeps its read buffer for as long as it is idle: a small slot
// of a shared slab (lib/relay/read_slots.ts), which busy connections trade for a
// buffer of their own that grows. 2048 bytes each cost 1.8 KiB more per idle
// connection (bench/memory.ts).
const READ_MIN = SLOT_BYTES;
const READ_MAX = 64 * 1024;
/** The small read buffers of every connection of the relay. */
const readSlots = new ReadSlots();
const PONG = encodeFrame(FrameType.Pong);
/** One flush turn for every connection of the relay (see batchedScheduler). */
const flushAll = batchedScheduler();
/** Gives a read buffer back to the slots if it is one (only slots have the smallest size). */
function releaseReadBuffer(buf: Uint8Array): void {
  if (buf.length === READ_MIN) readSlots.give(buf);
}

/** Relay side of one client connection. */
export class RelayConnection implements Delivery {
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
  readonly #ctx: RelayContext;
  readonly #conn: RelaySocket;
  readonly #queue: SendQueue;
  readonly #decoder: FrameDecoder;
  readonly #limits: ConnectionLimits;
  #textSeq = 0;
  /** The sender stamp on this member's texts, made at its first text. */
  #nickStamp: Uint8Array | null = null;
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
    this.#limits = new ConnectionLimits(o);
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

  /** Starts the hello deadline, then reads and handles frames until the peer goes away. */
  run(): void {
    this.#helloTimer = setTimeout(() => {
      const why = `no hello within ${this.#ctx.options.helloTimeoutMs} ms`;
      if (!this.#conn.handshaking) return this.fail("hello-timeout", why);
      // No TLS yet, so no error frame can reach the peer: close at the deadline.
      this.#ctx.log("error", { peer: this.peer, code: "hello-timeout", fatal: true });
      this.close(`${why} (TLS handshake unfinished)`);
    }, this.#ctx.options.helloTimeoutMs);
    this.#read(readSlots.take());
  }

  // A callback per read rather than an async loop: a suspended async function
  // kept a generator and two promises alive per idle connection (bench/analysis.md).
  #read(buf: Uint8Array): void {
    let reading: Promise<number | null>;
    try {
      reading = this.#conn.read(buf);
    } catch (err) {
      releaseReadBuffer(buf);
      return this.#readFailed(err);
    }
    reading.then((n) => {
      if (this.#closed || n === null) {
        // The read has settled, so nothing writes into the buffer any more.
        releaseReadBuffer(buf);
        if (!this.#closed) this.close("closed by peer");
        return;
      }
      this.lastHeard = Date.now();
      try {
        for (const frame of this.#decoder.push(buf.subarray(0, n))) {
          if (this.#closed || this.#failing) break;
          this.#handleSafely(frame.type, frame.payload);
        }
      } catch (err) {
        releaseReadBuffer(buf);
        return this.#readFailed(err);
      }
      if (this.#closed) return releaseReadBuffer(buf);
      // Grow the read buffer for connections that fill it; go back to a small slot
      // after a small read, so that an idle connection (its last frame a ping) keeps
      // only that.
      if (n === buf.length && buf.length < READ_MAX) {
        releaseReadBuffer(buf);
        buf = new Uint8Array(buf.length * 2);
      } else if (buf.length > READ_MIN && n <= READ_MIN / 2) {
        buf = readSlots.take();
      }
      this.#read(buf);
    }, (err) => {
      releaseReadBuffer(buf);
      this.#readFailed(err);
    });
  }

  #readFailed(err: unknown): void {
    if (err instanceof FrameTooLargeError) {
      this.fail("frame-too-large", `${err.message}; connection closed`);
    } else if (err instanceof ProtocolError) {
      this.fail(err.code, err.message);
    } else if (this.#closed) {
      // Read failed because we closed the socket ourselves.
    } else if (err instanceof MalformedFrameError) {
      this.fail("bad-frame", err.message);
    } else {
      this.close(err instanceof Error ? err.message : String(err));
    }
  }

  /** Queues a frame to this client. */
  deliver(frame: Uint8Array, priority: Priority): boolean {
    if (this.#held && priority === "text") return this.#held.hold(frame);
    if (priority !== "voice") this.#ctx.coalescer.note();
    return this.#queue.send(frame, priority);
  }

  /** Queues a control frame with a JSON body. */
  sendControl(type: number, body: unknown): void {
    this.#reply(encodeFrame(type, encodeJson(body)));
  }

  /** Queues a frame the peer waits for (welcome, error, ack, pong): never held for a turn. */
  #reply(frame: Uint8Array): void {
    this.#queue.send(frame, "control", true);
  }

  /** Sends an error frame without closing. */
  error(code: ErrorCode, message: string): void {
    // One log line a second at most per connection: a flooder must not turn
    // the relay's log into its amplifier.
    const suppressed = this.#limits.logError(Date.now());
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

  /**
   * Handles one frame. Before the hello any protocol error is fatal; after it,
   * a malformed frame (bad JSON, bad UTF-8, unknown type, a second hello) is
   * answered with a non-fatal error and the connection goes on, unless the
   * peer keeps sending them.
   */
  /** Clears the hello deadline and lets its timer go (an idle member keeps none). */
  #stopHelloTimer(): void {
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
  }

  #handleSafely(type: number, payload: Uint8Array): void {
    try {
      this.#handle(type, payload);
    } catch (err) {
      if (!(err instanceof ProtocolError) || !this.room) throw err;
      this.#badFrame(err.code, err.message);
    }
  }

  #badFrame(code: ErrorCode, message: string): void {
    if (this.#limits.badFrame(Date.now())) return this.error(code, message);
    this.fail("bad-frame", `too many malformed frames (last: ${message}); connection closed`);
  }

  #handle(type: number, payload: Uint8Array): void {
    if (!this.room) {
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
      return;
    }
    switch (type) {
      case FrameType.Text:
        return this.#text(payload);
      case FrameType.Voice:
        return this.#voice(payload);
      case FrameType.KeyShare:
        return this.#keyShare(payload);
      case FrameType.Talk:
        return this.#ctx.talk(this, decodeJson<TalkRequest>(payload).on === true);
      case FrameType.Who:
        return this.sendControl(FrameType.WhoReply, {
          room: this.room.name,
          members: this.room.members().map((m) => m.nick),
        });
      case FrameType.Ping:
        this.#reply(PONG);
        return;
      case FrameType.Pong:
        return;
      case FrameType.Bye:
        return this.close("left");
      case FrameType.Hello:
        return this.#badFrame("bad-hello", "already joined; a connection says hello once");
      default:
        return this.#badFrame("bad-frame", `unknown frame type ${type}`);
    }
  }

  #text(sealed: Uint8Array): void {
    const seq = ++this.#textSeq;
    if (!this.#limits.text(Date.now())) {
      this.#reply(encodeFrame(FrameType.Ack, encodeAck(seq, ACK_RATE_LIMITED)));
      this.error("rate-limited", "too many messages; the client will resend after a pause");
      return;
    }
    const ack = encodeFrame(FrameType.Ack, encodeAck(seq, ACK_FORWARDED));
    this.#nickStamp ??= nickStamp(this.member.nick);
    const frame = encodeFrameParts(FrameType.Text, this.#nickStamp, sealed);
    const relayed = this.room!.broadcast(frame, "text", this);
    recentTextsOf(this.room!).add(this.member.nick, frame, Date.now());
    // In a cluster the ack waits until NATS has the text: a relay that dies
    // after acknowledging has lost nothing the client would not resend.
    if (relayed) relayed.then(() => this.#reply(ack));
    else this.#reply(ack);
  }

  #voice(tagged: Uint8Array): void {
    const room = this.room!;
    if (!room.floor.mayTalk(this.member.nick)) return;
    const now = Date.now();
    const verdict = this.#limits.voice(now);
    if (verdict !== "pass") {
      // Voice is useless late: drop it, as a network would, but say so (once a second).
      if (verdict === "drop-and-tell") {
        this.error("rate-limited", "too many voice frames; some were dropped");
      }
      return;
    }
    this.lastVoice = now;
    room.broadcastVoice(this, tagged);
  }

  /** An addressed key share: stamped with both ids and passed to that member only. */
  #keyShare(payload: Uint8Array): void {
    if (payload.length < 2) throw new ProtocolError("bad-frame", "key share has no recipient");
    if (!this.#limits.keyShare(Date.now())) {
      this.error("rate-limited", "too many key shares; some were dropped");
      return;
    }
    const from = this.member.id;
    const ids = new Uint8Array([from >>> 8, from & 0xff, payload[0], payload[1]]);
    const to = (payload[0] << 8) | payload[1];
    if (to === from) return;
    this.room!.sendTo(to, encodeFrameParts(FrameType.KeyShare, ids, payload.subarray(2)));
  }

  #slowConsumer(): void {
    this.#ctx.log("error", { peer: this.peer, nick: this.member?.nick, code: "slow-consumer" });
    // The queue is full, so the error frame would wait behind it; close at once.
    this.close("slow consumer: send queue full");
  }
}
