/**
 * What the load generator needs from a protocol: connect one client, register
 * and join the benchmark room, send numbered messages, and report every message
 * received to the shared {@linkcode Recorder}. `am_driver.ts` speaks our
 * protocol, `irc_driver.ts` IRC; the generator does not know which it drives.
 *
 * @module
 */

import type { Recorder } from "./recorder.ts";
import type { ReadTarget, RelaySocket } from "../lib/relay/socket.ts";

/**
 * Bytes a delivered message should take on the receiver's socket, in every
 * protocol: 100, or `AM_BENCH_DELIVERED_BYTES` (bench/text_size_cost.ts sets it to
 * the size of a text sealed with member identities).
 */
export const DELIVERED_BYTES = Number(Deno.env.get("AM_BENCH_DELIVERED_BYTES") ?? 100);

/** One connected, joined client of the generator. */
export interface BenchPeer {
  /** Client number (senders are 0..K-1). */
  readonly index: number;
  /** Local TCP port of its connection (to find its socket, bench/rcv_lowat.ts). */
  readonly localPort: number;
  /**
   * Prepares messages 1..`count` before the run where the protocol has work per
   * message that a real client would do anyway (ours: sealing), so it is not
   * done on the generator's core inside the measured window.
   */
  prepare?(count: number): void;
  /** Queues message `seq` (1-based, in order) meant to leave at `intended`. */
  send(seq: number, intended: number): void;
  /** Writes what is queued. */
  flush(): void;
  /** Deliveries this client received (every client counts them, sample or not). */
  readonly counted: number;
  /** Their bytes on the socket. */
  readonly countedBytes: number;
  /**
   * Messages this receiver verified (sample receivers only): ours byte for byte
   * against the sealed frame the sender sent, IRC by checking the whole line.
   */
  readonly verified: number;
  /** Of them, messages opened and authenticated with the real opener (ours). */
  readonly opened: number;
  /** Messages that failed to open or verify. */
  readonly failed: number;
  /** Set when the connection ended early (with why). */
  readonly lost: string | null;
  /** Closes the connection. */
  close(): void;
}

/** How to connect one client. */
export interface PeerOptions {
  /** Server port on 127.0.0.1. */
  port: number;
  /** Client number; also its sender number when it sends. */
  index: number;
  /** Whether this client sends. */
  sender: boolean;
  /**
   * Whether this client is a sample receiver: it decodes every message, times
   * it against its send stamp and verifies it (ours: opens it). The others only
   * count deliveries and bytes (bench/counters.ts).
   */
  sample: boolean;
  /**
   * A sample receiver of ours also opens every `openEvery`-th message (by
   * number) with the real opener (0 or absent: none); it compares every one.
   */
  openEvery?: number;
  /** Where a sample receiver records its deliveries. */
  recorder: Recorder;
  /** Paces a sample receiver's reads during the measurement (null: read as data comes). */
  pacer: ReadPacer | null;
  /** Paces a counting receiver's reads (null: read as data comes). */
  countPacer?: ReadPacer | null;
  /** Room (IRC: channel "#" + room) to join instead of the benchmark's one. */
  room?: string;
  /** Initial read buffer size (default 64 KiB; it grows for bigger frames). */
  readBufferBytes?: number;
  /** Our relay's TLS anchor (PEM) when it serves TLS; plain TCP without. */
  tlsAnchor?: string;
}

/** A protocol the generator can drive. */
export interface Driver {
  /** Name for reports. */
  readonly name: string;
  /** Connects, registers and joins; resolves once the client is in the room. */
  connect(o: PeerOptions): Promise<BenchPeer>;
}

/** Client nick of client `index`, the same length in every protocol. */
export function benchNick(index: number): string {
  return `c${String(index).padStart(4, "0")}`;
}

/**
 * Paces the generator's reads once active: after each read a receiver waits for
 * the next tick before reading again, so at high load one read takes everything
 * the server sent since the last tick. Without it the generator spends a read
 * (a few µs in Deno) per message and becomes the bottleneck long before the
 * servers do. The price is latency resolution: a delivery may be seen up to one
 * period late, the same for every server.
 */
export class ReadPacer {
  /** Tick period in ms. */
  readonly periodMs: number;
  #waiters: (() => void)[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A pacer ticking every `periodMs` once started. */
  constructor(periodMs: number) {
    this.periodMs = periodMs;
  }

  /** Starts pacing reads. */
  start(): void {
    this.#timer ??= setInterval(() => this.#release(), this.periodMs);
  }

  /** Stops pacing; waiting readers go on at once. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#release();
  }

  /** Resolves at the next tick, or at once while the pacer is stopped. */
  wait(): Promise<void> | null {
    if (this.#timer === undefined) return null;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #release(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiting) resolve();
  }
}

/** A socket that may read through a target instead of a promise (the epoll backend's). */
type ReadableConn = Pick<Deno.Conn, "read"> & Pick<RelaySocket, "readInto">;

/**
 * Reads a socket into a growable buffer and hands complete data to `parse`.
 * Unpaced, a socket with `readInto` (lib/relay/epoll/) is read with one target
 * for its whole life: no promise, no view and no closure per read, which is
 * most of what a read cost the generator beyond the system call.
 */
export function readLoop(
  conn: ReadableConn,
  parse: (buf: Uint8Array, end: number, now: number) => number,
  pacer: ReadPacer | null = null,
  paced: () => boolean = () => true,
  initial = 65536,
): Promise<void> {
  if (pacer === null && conn.readInto) return readInto(conn, parse, initial);
  return readPromises(conn, parse, pacer, paced, initial);
}

async function readPromises(
  conn: ReadableConn,
  parse: (buf: Uint8Array, end: number, now: number) => number,
  pacer: ReadPacer | null,
  paced: () => boolean,
  initial: number,
): Promise<void> {
  let buf = new Uint8Array(initial);
  let fill = 0;
  for (;;) {
    const tick = paced() ? pacer?.wait() : null;
    if (tick) await tick;
    if (fill === buf.length) buf = grown(buf);
    const n = await conn.read(buf.subarray(fill));
    if (n === null) return;
    fill += n;
    const used = parse(buf, fill, performance.now());
    if (used > 0) {
      buf.copyWithin(0, used, fill);
      fill -= used;
    }
  }
}

function readInto(
  conn: ReadableConn,
  parse: (buf: Uint8Array, end: number, now: number) => number,
  initial: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = new Uint8Array(initial);
    let fill = 0;
    const target: ReadTarget = {
      readDone(n) {
        if (n === null) return resolve();
        try {
          fill += n;
          const used = parse(buf, fill, performance.now());
          if (used > 0) {
            buf.copyWithin(0, used, fill);
            fill -= used;
          }
          if (fill === buf.length) buf = grown(buf);
          // A whole buffer when nothing is left over, which is nearly every read.
          conn.readInto!(fill === 0 ? buf : buf.subarray(fill), target);
        } catch (err) {
          reject(err);
        }
      },
      readFailed: reject,
    };
    conn.readInto!(buf, target);
  });
}

function grown(buf: Uint8Array): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(buf.length * 2);
  bigger.set(buf);
  return bigger;
}
