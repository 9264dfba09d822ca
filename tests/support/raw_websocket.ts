/**
 * A WebSocket client written by hand over a TCP (or TLS) socket, for tests of
 * the relay's web port that a well-behaved client cannot do: frames with any
 * header (unmasked, reserved bits, unknown opcodes, lengths it never sends),
 * and a peer that never answers the close handshake.
 *
 * @module
 */

/** What the relay sent on a raw WebSocket, and whether it closed the connection. */
export interface RawWsOutcome {
  /** The server's frames: opcode and payload. */
  frames: { op: number; payload: Uint8Array }[];
  /** The relay closed the TCP connection (read returned end of stream or failed). */
  closed: boolean;
}

const enc = new TextEncoder();

/** Opens `/ws` on `port` with a valid handshake; resolves with the socket after the 101. */
export async function rawWebSocket(port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(enc.encode(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  ));
  // The 101 response is short and comes alone: nothing else is sent before a frame.
  let head = "";
  const buf = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    if (await conn.read(buf) === null) throw new Error(`no upgrade: ${head}`);
    head += String.fromCharCode(buf[0]);
  }
  if (!head.startsWith("HTTP/1.1 101")) throw new Error(`no upgrade: ${head}`);
  return conn;
}

/** Options of a hand-made frame. */
export interface RawFrameOptions {
  /** Mask it (clients must); default true. */
  masked?: boolean;
  /** The length to declare, if not the payload's. */
  declared?: number | bigint;
  /** Set FIN; default true. */
  fin?: boolean;
  /** The RSV bits (0–7). */
  rsv?: number;
}

/** One client frame with `opcode` and `payload`, shaped by `o`. */
export function rawFrame(opcode: number, payload: Uint8Array, o: RawFrameOptions = {}): Uint8Array {
  const masked = o.masked ?? true;
  const len = BigInt(o.declared ?? payload.length);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = masked ? 0x80 : 0;
  if (len < 126n) head.push(m | Number(len));
  else if (len < 65536n) head.push(m | 126, Number(len >> 8n), Number(len & 255n));
  else {
    head.push(m | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(i * 8)) & 255n));
  }
  const mask = [0x37, 0xfa, 0x21, 0x3d];
  if (masked) head.push(...mask);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(masked ? payload.map((x, i) => x ^ mask[i & 3]) : payload, head.length);
  return out;
}

/** Reads what the relay sends until it closes the connection or `timeoutMs` passes. */
export async function readUntilClosed(conn: Deno.Conn, timeoutMs: number): Promise<RawWsOutcome> {
  let closed = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  let bytes = new Uint8Array(0);
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      const all = new Uint8Array(bytes.length + n);
      all.set(bytes);
      all.set(buf.subarray(0, n), bytes.length);
      bytes = all;
    }
    closed = !timedOut;
  } catch {
    closed = !timedOut;
  }
  clearTimeout(timer);
  if (!timedOut) conn.close();
  return { frames: splitFrames(bytes), closed };
}

/** Splits the server's (unmasked) frames. */
export function splitFrames(bytes: Uint8Array): RawWsOutcome["frames"] {
  const frames: RawWsOutcome["frames"] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    let len = bytes[at + 1] & 0x7f;
    let off = at + 2;
    if (len === 126) {
      len = (bytes[off] << 8) | bytes[off + 1];
      off += 2;
    } else if (len === 127) {
      len = Number(new DataView(bytes.buffer, off, 8).getBigUint64(0));
      off += 8;
    }
    if (off + len > bytes.length) break;
    frames.push({ op: bytes[at] & 0x0f, payload: bytes.slice(off, off + len) });
    at = off + len;
  }
  return frames;
}
