/**
 * The load generator's IRC client, for ngircd and InspIRCd: NICK/USER, wait for
 * 001, JOIN, wait for the end of NAMES (366), then PRIVMSG to the channel. Each
 * message's text ends in "~" + a 4-digit sender + an 8-digit number, padded so
 * that the line a receiver gets (with the server's ":nick!user@host" prefix) is
 * as long as one of our relayed text frames. Sample receivers time each line by
 * its tail and check it is the line sent, relayed; the others count lines.
 *
 * @module
 */

import { ConnWriter } from "./conn_writer.ts";
import { countLoop, LineCounter } from "./counters.ts";
import {
  benchNick,
  type BenchPeer,
  DELIVERED_BYTES,
  type Driver,
  type PeerOptions,
  readLoop,
} from "./driver.ts";

/** Channel of the text benchmark. */
export const BENCH_CHANNEL = "#bench";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TILDE = 0x7e;
const LF = 0x0a;
// What a receiver sees before the text: ":c0001!~b@127.0.0.1 PRIVMSG #bench :".
const PREFIX_BYTES = `:${benchNick(0)}!~b@127.0.0.1 PRIVMSG ${BENCH_CHANNEL} :`.length;
const TAIL_BYTES = 1 + 4 + 8; // "~", sender, number
const PAD = "x".repeat(DELIVERED_BYTES - PREFIX_BYTES - 2 - TAIL_BYTES);

// What follows the user@host of a relayed line, up to its sender and number.
const MIDDLE = encoder.encode(` PRIVMSG ${BENCH_CHANNEL} :${PAD}~`);

/**
 * Whether the line `buf[pos, lf)` (lf: its newline) is a message exactly as a
 * bench sender wrote it, relayed from client `sender`: ":c<sender>!<user@host>"
 * then the PRIVMSG, padding, "~", sender, number and CR.
 */
export function relayedLineOk(buf: Uint8Array, pos: number, lf: number, sender: number): boolean {
  const nickEnd = pos + 1 + benchNick(0).length;
  if (sender < 0 || buf[pos] !== 0x3a || buf[pos + 1] !== 0x63 || buf[nickEnd] !== 0x21) {
    return false;
  }
  if (digits(buf, pos + 2, nickEnd) !== sender || buf[lf - 1] !== 0x0d) return false;
  const mid = lf - 1 - (TAIL_BYTES - 1) - MIDDLE.length; // MIDDLE ends in the "~"
  if (mid <= nickEnd) return false;
  for (let i = 0; i < MIDDLE.length; i++) if (buf[mid + i] !== MIDDLE[i]) return false;
  return digits(buf, lf - 13, lf - 1) >= 0;
}

function digits(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** IRC, for any RFC 1459/2812 server. */
export class IrcDriver implements Driver {
  readonly name: string;

  /** `name` labels the server in reports. */
  constructor(name = "irc") {
    this.name = name;
  }

  /** Connects, registers, joins the channel and waits for the end of NAMES. */
  async connect(o: PeerOptions): Promise<BenchPeer> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: o.port });
    conn.setNoDelay(true);
    const peer = new IrcPeer(conn, o);
    await peer.joined;
    return peer;
  }
}

class IrcPeer implements BenchPeer {
  readonly index: number;
  readonly localPort: number;
  verified = 0;
  readonly opened = 0;
  failed = 0;
  lost: string | null = null;
  readonly joined: Promise<void>;
  readonly #conn: Deno.Conn;
  readonly #writer: ConnWriter;
  readonly #head: string;
  #counter: LineCounter | null = null;
  #sampled = 0;
  #sampledBytes = 0;

  constructor(conn: Deno.Conn, o: PeerOptions) {
    this.#conn = conn;
    this.#writer = new ConnWriter(conn);
    this.index = o.index;
    this.localPort = (conn.localAddr as Deno.NetAddr).port;
    this.#head = `PRIVMSG ${BENCH_CHANNEL} :${PAD}~${String(o.index).padStart(4, "0")}`;
    let joinedOk!: () => void;
    let joinFailed!: (e: Error) => void;
    this.joined = new Promise((res, rej) => {
      joinedOk = res;
      joinFailed = rej;
    });
    let inChannel = false;
    const channel = o.room ? `#${o.room}` : BENCH_CHANNEL;
    // Registration, joining and pings: the lines every receiver must act on.
    const control = (bytes: Uint8Array) => {
      const line = decoder.decode(bytes).trimEnd();
      if (line.startsWith("PING")) this.#write(`PONG ${line.slice(5).trim()}\r\n`);
      else if (inChannel) return;
      else if (/^:\S+ 001 /.test(line)) this.#write(`JOIN ${channel}\r\n`);
      else if (/^:\S+ 366 /.test(line)) {
        inChannel = true;
        joinedOk();
      } else if (/^ERROR|^:\S+ (4\d\d|5\d\d) /.test(line)) joinFailed(new Error(line));
    };
    const reading = o.sample
      ? readLoop(
        conn,
        (buf, end, now) => {
          let pos = 0;
          for (;;) {
            const e = buf.indexOf(LF, pos);
            if (e < 0 || e >= end) break;
            if (inChannel && e - pos > TAIL_BYTES + 2 && buf[e - 14] === TILDE) {
              const sender = digits(buf, e - 13, e - 9);
              const seq = digits(buf, e - 9, e - 1);
              this.#sampled++;
              this.#sampledBytes += e + 1 - pos;
              if (sender >= 0 && seq >= 0) o.recorder.delivery(sender, seq, e + 1 - pos, now);
              if (relayedLineOk(buf, pos, e, sender) && o.recorder.intended(sender, seq) > 0) {
                this.verified++;
              } else this.failed++;
            } else control(buf.subarray(pos, e));
            pos = e + 1;
          }
          return pos;
        },
        o.pacer,
        () => inChannel,
        o.readBufferBytes,
      )
      : countLoop(
        conn,
        this.#counter = new LineCounter(control, () => inChannel),
        o.countPacer ?? null,
        () => inChannel,
        o.readBufferBytes,
      );
    reading.then(
      () => this.lost ??= "closed by server",
      (err) => this.lost ??= String(err),
    ).finally(() => joinFailed(new Error(`connection ended before joining: ${this.lost}`)));
    this.#write(`NICK ${benchNick(o.index)}\r\nUSER b 0 * :b\r\n`);
  }

  get counted(): number {
    return this.#counter?.lines ?? this.#sampled;
  }

  get countedBytes(): number {
    return this.#counter?.bytes ?? this.#sampledBytes;
  }

  send(seq: number, _intended: number): void {
    this.#writer.queue(encoder.encode(`${this.#head}${String(seq).padStart(8, "0")}\r\n`));
  }

  flush(): void {
    this.#writer.flush();
    if (this.#writer.error) this.lost ??= `write failed: ${this.#writer.error}`;
  }

  #write(line: string): void {
    this.#writer.queue(encoder.encode(line));
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
