/**
 * The load generator's IRC client, for ngircd and InspIRCd: NICK/USER, wait for
 * 001, JOIN, wait for the end of NAMES (366), then PRIVMSG to the channel. Each
 * message's text ends in "~" + a 4-digit sender + an 8-digit number, padded so
 * that the line a receiver gets (with the server's ":nick!user@host" prefix) is
 * as long as one of our relayed text frames. Receivers time each line by its tail.
 *
 * @module
 */

import { ConnWriter } from "./conn_writer.ts";
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
  readonly verified = 0;
  readonly failed = 0;
  lost: string | null = null;
  readonly joined: Promise<void>;
  readonly #conn: Deno.Conn;
  readonly #writer: ConnWriter;
  readonly #head: string;

  constructor(conn: Deno.Conn, o: PeerOptions) {
    this.#conn = conn;
    this.#writer = new ConnWriter(conn);
    this.index = o.index;
    this.#head = `PRIVMSG ${BENCH_CHANNEL} :${PAD}~${String(o.index).padStart(4, "0")}`;
    let joinedOk!: () => void;
    let joinFailed!: (e: Error) => void;
    this.joined = new Promise((res, rej) => {
      joinedOk = res;
      joinFailed = rej;
    });
    let inChannel = false;
    const channel = o.room ? `#${o.room}` : BENCH_CHANNEL;
    readLoop(
      conn,
      (buf, end, now) => {
        let pos = 0;
        for (;;) {
          const e = buf.indexOf(LF, pos);
          if (e < 0 || e >= end) break;
          if (e - pos > TAIL_BYTES + 2 && buf[e - 14] === TILDE) {
            const sender = digits(buf, e - 13, e - 9);
            const seq = digits(buf, e - 9, e - 1);
            if (sender >= 0 && seq >= 0) o.recorder.delivery(sender, seq, e + 1 - pos, now);
          } else if (buf[pos] === 0x50 && buf[pos + 1] === 0x49) { // "PI(NG)"
            const token = decoder.decode(buf.subarray(pos + 5, e)).trim();
            this.#write(`PONG ${token}\r\n`);
          } else if (!inChannel) {
            const line = decoder.decode(buf.subarray(pos, e));
            if (/^:\S+ 001 /.test(line)) this.#write(`JOIN ${channel}\r\n`);
            else if (/^:\S+ 366 /.test(line)) {
              inChannel = true;
              joinedOk();
            } else if (/^ERROR|^:\S+ (4\d\d|5\d\d) /.test(line)) joinFailed(new Error(line));
          }
          pos = e + 1;
        }
        return pos;
      },
      o.pacer,
      () => inChannel,
      o.readBufferBytes,
    ).then(
      () => this.lost ??= "closed by server",
      (err) => this.lost ??= String(err),
    ).finally(() => joinFailed(new Error(`connection ended before joining: ${this.lost}`)));
    this.#write(`NICK ${benchNick(o.index)}\r\nUSER b 0 * :b\r\n`);
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
