/**
 * The load generator's Audio Messenger client. Senders seal every message with
 * the real {@linkcode Sealer} (AES-256-GCM under their own sender key) before
 * the run ({@linkcode BenchPeer.prepare}): sealing costs tens of µs here, and
 * inside the window it would load the generator's core for our protocol only.
 * Sample receivers read whole frames, take the sender and counter from the
 * sealed envelope's clear header (session id, counter) to time each delivery,
 * and compare every message byte for byte with the frame its sender sent; a few
 * also open some with the real {@linkcode Opener} and check the body. Every
 * other receiver only counts text frames and their bytes ({@linkcode FrameCounter}).
 *
 * @module
 */

import { benchConnect } from "./bench_tls.ts";
import { deriveRoomKey, type RoomKey, toHex } from "../lib/cipher.ts";
import { Opener, Sealer } from "./legacy_envelope.ts";
import { DEFAULT_MAX_FRAME, encodeFrame, scanFrames } from "../lib/framing.ts";
import { encodeJson, FrameType, PROTOCOL_VERSION } from "../lib/protocol.ts";
import { ConnWriter } from "./conn_writer.ts";
import { countLoop, FrameCounter } from "./counters.ts";
import {
  benchNick,
  type BenchPeer,
  DELIVERED_BYTES,
  type Driver,
  type PeerOptions,
  readLoop,
} from "./driver.ts";

/** Passphrase of the benchmark room. */
export const BENCH_PASSPHRASE = "benchmark passphrase";
/** Room of the text benchmark. */
export const BENCH_ROOM = "bench";

const decoder = new TextDecoder();
const PONG = encodeFrame(FrameType.Pong);
// Relayed text frame: 4 length + 1 type + 1 nick length + nick + 34 header + body + 16 tag.
const SEALED_OVERHEAD = 5 + 1 + 34 + 16;
const SESSION_AT = 2 + 8; // session id offset inside a sealed text
const COUNTER_LOW_AT = 2 + 8 + 16 + 4; // low 32 bits of the 64-bit counter

const EMPTY = new Uint8Array(0);

/** Whether `buf[from, to)` equals `frame` from offset `at` to its end. */
function sameBytes(buf: Uint8Array, from: number, to: number, frame: Uint8Array, at: number) {
  if (to - from !== frame.length - at) return false;
  for (let i = from, j = at; i < to; i++, j++) if (buf[i] !== frame[j]) return false;
  return true;
}

/** Whether the nick stamp `buf[at, at + length)` is client `index`'s bench nick. */
function isNick(buf: Uint8Array, at: number, length: number, index: number): boolean {
  const nick = benchNick(index);
  if (length !== nick.length) return false;
  for (let i = 0; i < length; i++) if (buf[at + i] !== nick.charCodeAt(i)) return false;
  return true;
}

/** A session id whose last four bytes name the sender, so receivers can time it. */
export function benchSession(index: number): Uint8Array {
  const s = crypto.getRandomValues(new Uint8Array(16));
  new DataView(s.buffer).setUint32(12, index);
  return s;
}

/** Our protocol, over one room key derived once per generator. */
export class AmDriver implements Driver {
  readonly name = "am";
  readonly #key: RoomKey;

  private constructor(key: RoomKey) {
    this.#key = key;
  }

  /** Derives the room key (scrypt, once) and returns the driver. */
  static async create(room = BENCH_ROOM): Promise<AmDriver> {
    return new AmDriver(await deriveRoomKey(BENCH_PASSPHRASE, room));
  }

  /** The room key, for other benchmarks that seal voice. */
  get key(): RoomKey {
    return this.#key;
  }

  /** Connects, says hello and waits for the welcome. */
  async connect(o: PeerOptions): Promise<BenchPeer> {
    const conn = await benchConnect(o.port, o.tlsAnchor ?? null);
    const peer = new AmPeer(conn, this.#key, o);
    await peer.joined;
    return peer;
  }
}

class AmPeer implements BenchPeer {
  readonly index: number;
  readonly localPort: number;
  verified = 0;
  opened = 0;
  failed = 0;
  lost: string | null = null;
  readonly joined: Promise<void>;
  readonly #conn: Deno.Conn;
  readonly #sealer: Sealer | null;
  readonly #opener: Opener | null;
  readonly #o: PeerOptions;
  readonly #plain: Uint8Array;
  readonly #writer: ConnWriter;
  #counter: FrameCounter | null = null;
  /** Frames sealed ahead, by message number. */
  readonly #ready: Uint8Array[] = [];
  #sampled = 0;
  #sampledBytes = 0;

  constructor(conn: Deno.Conn, key: RoomKey, o: PeerOptions) {
    this.#conn = conn;
    this.#writer = new ConnWriter(conn);
    this.#o = o;
    this.index = o.index;
    this.localPort = (conn.localAddr as Deno.NetAddr).port;
    const nick = benchNick(o.index);
    const session = benchSession(o.sender ? o.index : 0xffffffff);
    this.#sealer = o.sender ? new Sealer(key, nick, session) : null;
    this.#opener = o.sample && (o.openEvery ?? 0) > 0 ? new Opener(key) : null;
    this.#plain = new Uint8Array(DELIVERED_BYTES - SEALED_OVERHEAD - nick.length);
    let joinedOk!: () => void;
    let joinFailed!: (e: Error) => void;
    this.joined = new Promise((res, rej) => {
      joinedOk = res;
      joinFailed = rej;
    });
    let inRoom = false;
    // Welcome, errors and pings: the frames every receiver must act on.
    const control = (type: number, payload: Uint8Array) => {
      if (type === FrameType.Welcome) {
        inRoom = true;
        joinedOk();
      } else if (type === FrameType.Error && !inRoom) {
        joinFailed(new Error(decoder.decode(payload)));
      } else if (type === FrameType.Ping) {
        this.#write(PONG);
      }
    };
    const reading = o.sample ? this.#sampleLoop(conn, control, () => inRoom) : (() => {
      const counter = this.#counter = new FrameCounter(FrameType.Text, control);
      return countLoop(conn, counter, o.countPacer ?? null, () => inRoom, o.readBufferBytes);
    })();
    reading.then(
      () => this.lost ??= "closed by server",
      (err) => this.lost ??= String(err),
    ).finally(() => joinFailed(new Error(`connection ended before the welcome: ${this.lost}`)));
    const hello = {
      v: PROTOCOL_VERSION,
      nick,
      room: o.room ?? BENCH_ROOM,
      session: toHex(session),
      keyId: toHex(key.keyId),
    };
    this.#write(encodeFrame(FrameType.Hello, encodeJson(hello)));
  }

  /** A sample receiver: decodes, times and (with an opener) opens every text. */
  #sampleLoop(
    conn: Deno.Conn,
    control: (type: number, payload: Uint8Array) => void,
    paced: () => boolean,
  ): Promise<void> {
    const o = this.#o;
    return readLoop(
      conn,
      (buf, end, now) =>
        scanFrames(buf, 0, end, DEFAULT_MAX_FRAME * 16, (type, from, to) => {
          if (type !== FrameType.Text) return control(type, buf.subarray(from, to));
          const sealed = from + 1 + buf[from];
          const at = sealed + SESSION_AT + 12;
          const sender = ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) |
            buf[at + 3]) >>> 0;
          const c = sealed + COUNTER_LOW_AT;
          const seq = ((buf[c] << 24) | (buf[c + 1] << 16) | (buf[c + 2] << 8) | buf[c + 3]) >>>
            0;
          this.#sampled++;
          this.#sampledBytes += to - from + 5;
          o.recorder.delivery(sender, seq, to - from + 5, now);
          this.#verify(buf, from, to, sender, seq);
        }),
      o.pacer,
      paced,
      o.readBufferBytes,
    );
  }

  get counted(): number {
    return this.#counter?.frames ?? this.#sampled;
  }

  get countedBytes(): number {
    return this.#counter?.bytes ?? this.#sampledBytes;
  }

  /**
   * Checks a relayed text against the frame its sender sent: the relay's nick
   * stamp names the sender and the sealed bytes are the sender's, bit for bit;
   * every `openEvery`-th one is also opened and its body and counter checked.
   */
  #verify(buf: Uint8Array, from: number, to: number, sender: number, seq: number): void {
    const nickLen = buf[from];
    const sealedAt = from + 1 + nickLen;
    const sent = this.#o.recorder.frame(sender, seq);
    if (
      !sent || !sameBytes(buf, sealedAt, to, sent, 5) || !isNick(buf, from + 1, nickLen, sender)
    ) {
      this.failed++;
      return;
    }
    this.verified++;
    const every = this.#o.openEvery ?? 0;
    if (!this.#opener || every <= 0 || seq % every !== 0) return;
    const nick = decoder.decode(buf.subarray(from + 1, sealedAt));
    try {
      const opened = this.#opener.openText(nick, buf.slice(sealedAt, to));
      const view = new DataView(opened.plain.buffer, opened.plain.byteOffset);
      if (view.getFloat64(0) === seq && view.getUint32(8) === sender && opened.counter === seq) {
        this.opened++;
      } else this.failed++;
    } catch {
      this.failed++;
    }
  }

  /** Seals messages 1..`count` now, so the measured window only writes them. */
  prepare(count: number): void {
    for (let seq = this.#ready.length || 1; seq <= count; seq++) this.#seal(seq);
  }

  #seal(seq: number): Uint8Array {
    const view = new DataView(this.#plain.buffer);
    view.setFloat64(0, seq);
    view.setUint32(8, this.index);
    const frame = encodeFrame(FrameType.Text, this.#sealer!.sealText(this.#plain));
    this.#ready[seq] = frame;
    this.#o.recorder.keep(this.index, seq, frame);
    return frame;
  }

  send(seq: number, _intended: number): void {
    const frame = this.#ready[seq] ?? this.#seal(seq);
    this.#ready[seq] = EMPTY; // sent: the recorder keeps it for the comparison
    this.#writer.queue(frame);
  }

  flush(): void {
    this.#writer.flush();
    if (this.#writer.error) this.lost ??= `write failed: ${this.#writer.error}`;
  }

  #write(bytes: Uint8Array): void {
    this.#writer.queue(bytes);
    this.#writer.flush();
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
