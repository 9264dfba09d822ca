/**
 * Cluster benchmark: one room spread over 1, 2 and 3 relays (separate
 * processes) joined through a real `nats-server -js` on loopback, driven by
 * raw protocol clients in this process. Reports text deliveries per second and
 * delivery latency (p50, p99) at a fixed offered load, for one relay without
 * NATS (the embedded default) and 1–3 relays with it; then, at light load, the
 * latency a NATS hop adds (receivers on the sender's relay against receivers
 * on another relay).
 *
 * Run: `.tools/bin/deno run -A bench/cluster.ts [--seconds 3] [--rate 2000]`
 * (needs nats-server: scripts/install_nats.sh). Prints a Markdown table.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { encodeFrame, FrameDecoder } from "../lib/framing.ts";
import { FrameType } from "../lib/protocol.ts";
import { connectRelay, RelayProcess } from "../tests/support/harness.ts";
import { NatsServer } from "../tests/support/nats_process.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "3" },
    rate: { type: "string", default: "2000" },
    receivers: { type: "string", default: "30" },
    senders: { type: "string", default: "3" },
  },
});
const SECONDS = Number(args.values.seconds);
const RATE = Number(args.values.rate); // texts a second per sender
const RECEIVERS = Number(args.values.receivers);
const SENDERS = Number(args.values.senders);
const PAYLOAD = 120; // about the size of a sealed one-line text
const encoder = new TextEncoder();

/** A raw client: says hello, counts texts and their latency. */
class Peer {
  readonly conn: Deno.Conn;
  readonly latencies: number[] = [];
  #joined!: () => void;
  readonly joined = new Promise<void>((r) => this.#joined = r);

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  static async open(port: number, nick: string, room: string): Promise<Peer> {
    const conn = await connectRelay(port);
    const p = new Peer(conn);
    const session = crypto.randomUUID().replaceAll("-", "");
    const hello = { v: 1, nick, room, session, keyId: "0011223344556677" };
    await write(conn, encodeFrame(FrameType.Hello, encoder.encode(JSON.stringify(hello))));
    p.#read();
    await p.joined;
    return p;
  }

  async #read(): Promise<void> {
    const decoder = new FrameDecoder(1 << 20);
    const buf = new Uint8Array(256 * 1024);
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) return;
        const now = performance.now();
        for (const f of decoder.push(buf.subarray(0, n))) {
          if (f.type === FrameType.Welcome) this.#joined();
          else if (f.type === FrameType.Text) {
            const sealed = f.payload.subarray(1 + f.payload[0]); // after the nick stamp
            const sent = new DataView(sealed.buffer, sealed.byteOffset, 8).getFloat64(0);
            this.latencies.push(now - sent);
          } else if (f.type === FrameType.Ping) await write(this.conn, encodeFrame(FrameType.Pong));
        }
      }
    } catch {
      // Closed.
    }
  }

  /** Sends `count` texts stamped with the current time. */
  async send(count: number): Promise<void> {
    const frames = new Uint8Array((5 + PAYLOAD) * count);
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      const off = i * (5 + PAYLOAD);
      new DataView(frames.buffer).setUint32(off, PAYLOAD + 1);
      frames[off + 4] = FrameType.Text;
      new DataView(frames.buffer).setFloat64(off + 5, now);
    }
    await write(this.conn, frames);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

interface Result {
  deliveries: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Drives one room: senders at RATE each for SECONDS, receivers spread over `ports`. */
async function drive(
  ports: number[],
  room: string,
  senders: { port: number }[],
  receivers: { port: number }[],
  rate: number,
  seconds: number,
): Promise<Result[]> {
  const rx = [];
  for (const [i, r] of receivers.entries()) rx.push(await Peer.open(r.port, `rx${i}`, room));
  const tx = [];
  for (const [i, s] of senders.entries()) tx.push(await Peer.open(s.port, `tx${i}`, room));
  await new Promise((r) => setTimeout(r, 300)); // presence settles on every relay
  for (const p of [...rx, ...tx]) p.latencies.length = 0;
  const tick = 5;
  const perTick = rate * tick / 1000;
  const start = performance.now();
  let due = 0;
  while (performance.now() - start < seconds * 1000) {
    const should = Math.floor((performance.now() - start) / 1000 * rate);
    const n = Math.min(should - due, Math.ceil(perTick * 4));
    if (n > 0) {
      due += n;
      await Promise.all(tx.map((t) => t.send(n)));
    }
    await new Promise((r) => setTimeout(r, tick));
  }
  await new Promise((r) => setTimeout(r, 1000)); // drain
  const elapsed = seconds;
  void ports;
  const results = [rx].map((group) => {
    const all = group.flatMap((p) => p.latencies).sort((a, b) => a - b);
    return {
      deliveries: all.length,
      perSecond: all.length / elapsed,
      p50: percentile(all, 0.5),
      p99: percentile(all, 0.99),
    };
  });
  for (const p of [...rx, ...tx]) p.close();
  return results;
}

/** Latency at light load for receivers on the sender's relay and on another one. */
async function hop(ports: [number, number], room: string): Promise<[number, number, number]> {
  const local = [];
  const remote = [];
  for (let i = 0; i < 5; i++) local.push(await Peer.open(ports[0], `l${i}`, room));
  for (let i = 0; i < 5; i++) remote.push(await Peer.open(ports[1], `r${i}`, room));
  const tx = await Peer.open(ports[0], "tx", room);
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 400; i++) {
    await tx.send(1);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 500));
  const p = (g: Peer[], q: number) =>
    percentile(g.flatMap((x) => x.latencies).sort((a, b) => a - b), q);
  const out: [number, number, number] = [p(local, 0.5), p(remote, 0.5), p(remote, 0.99)];
  for (const x of [...local, ...remote, tx]) x.close();
  return out;
}

const fast = ["--text-rate", "1000000", "--text-burst", "1000000", "--max-per-ip", "100000"];
const nats = await NatsServer.start();
const rows: string[] = [];
const ms = (x: number) => x.toFixed(2);
try {
  const configs: { label: string; relays: number; nats: boolean }[] = [
    { label: "1 relay, no NATS", relays: 1, nats: false },
    { label: "1 relay + NATS", relays: 1, nats: true },
    { label: "2 relays + NATS", relays: 2, nats: true },
    { label: "3 relays + NATS", relays: 3, nats: true },
  ];
  for (const c of configs) {
    const extra = c.nats ? ["--nats", nats.url] : [];
    const relays = [];
    for (let i = 0; i < c.relays; i++) relays.push(await RelayProcess.start([...fast, ...extra]));
    const ports = relays.map((r) => r.port);
    const spread = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ port: ports[i % ports.length] }));
    const [r] = await drive(
      ports,
      `bench-${c.relays}-${c.nats}`,
      spread(SENDERS),
      spread(RECEIVERS),
      RATE,
      SECONDS,
    );
    const offered = SENDERS * RATE * RECEIVERS; // counted at the receivers only
    rows.push(
      `| ${c.label} | ${Math.round(offered / 1000)}k | ${Math.round(r.perSecond / 1000)}k | ${
        ms(r.p50)
      } | ${ms(r.p99)} |`,
    );
    if (c.relays === 2) {
      const [l50, r50, r99] = await hop([ports[0], ports[1]], "bench-hop");
      rows.push(
        `| hop | local p50 ${ms(l50)} ms | other relay p50 ${ms(r50)} ms (p99 ${
          ms(r99)
        }) | added per NATS hop ≈ ${ms(r50 - l50)} ms | |`,
      );
    }
    await Promise.all(relays.map((x) => x.stop("SIGKILL")));
  }
} finally {
  await nats.dispose();
}
console.log(
  `Cluster: ${SENDERS} senders × ${RATE} texts/s, ${RECEIVERS} receivers in one room, ${SECONDS} s, ${PAYLOAD}-byte texts, loopback`,
);
console.log("| relays | offered deliveries/s | delivered/s | p50 ms | p99 ms |");
console.log("| --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
