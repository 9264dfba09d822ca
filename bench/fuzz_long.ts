/**
 * Protocol fuzzing against a real relay process on loopback: several hostile
 * connections send mutated valid frames (bit flips, truncations, random types,
 * random lengths, mangled hellos) as fast as the relay takes them, while honest
 * `am-client` processes chat in numbered lines. Reports frames sent, relay
 * crashes and honest messages lost (or duplicated, or out of order).
 *
 * `deno task fuzz` runs the long version (at least 1,000,000 frames, bounded in
 * time); tests/fuzz_test.ts runs a few seconds of it in the suite.
 *
 * @module
 */

import { encodeFrame } from "../lib/framing.ts";
import { FrameType } from "../lib/protocol.ts";
import { ClientProcess, connectRelay, helloFrame, RelayProcess } from "../tests/support/harness.ts";

/** How to fuzz. */
export interface FuzzOptions {
  /** Stop once this many mutated frames are sent (and minMs has passed). */
  targetFrames: number;
  /** Never run the hostile phase longer than this. */
  maxMs: number;
  /** Run at least this long. */
  minMs: number;
  /** Hostile connections at once. */
  hostile: number;
  /** Honest clients chatting in the room. */
  honest: number;
  /** Numbered lines each honest client sends a second. */
  honestRate: number;
  /** PRNG seed (printed, so a run can be repeated). */
  seed: number;
  /** Whether the relay serves TLS (as shipped); default true. */
  tls?: boolean;
  /** Progress lines (null: quiet). */
  progress?: ((line: string) => void) | null;
}

/** What a run found. */
export interface FuzzResult {
  /** Mutated frames written to the relay. */
  framesSent: number;
  /** Bytes written by the hostile connections. */
  bytesSent: number;
  /** Hostile connections opened (the relay closes many of them). */
  connections: number;
  /** Times the relay process exited during the run. */
  relayCrashes: number;
  /** Honest lines sent. */
  honestSent: number;
  /** Honest (sender, receiver) deliveries expected but missing. */
  honestLost: number;
  /** Honest deliveries seen more than once. */
  honestDuplicated: number;
  /** Receivers that saw some sender's lines out of order. */
  honestReordered: number;
  /** Disconnections the honest clients reported (they should see none). */
  honestDisconnects: number;
  /** Whether a fresh connection was served after the run. */
  relayServesAfter: boolean;
  /** Duration of the hostile phase, ms. */
  ms: number;
}

/** xorshift32: deterministic, fast, good enough to pick mutations. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds mutated frames from valid ones. */
class Mutator {
  readonly #r: () => number;
  constructor(seed: number) {
    this.#r = prng(seed);
  }

  int(n: number): number {
    return this.#r() % n;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.#r() & 0xff;
    return out;
  }

  /** A valid frame of a random kind a joined member sends. */
  valid(): Uint8Array {
    switch (this.int(6)) {
      case 0:
      case 1:
        return encodeFrame(FrameType.Text, this.bytes(20 + this.int(200)));
      case 2:
        return encodeFrame(FrameType.Voice, this.bytes(10 + this.int(80)));
      case 3:
        return encodeFrame(FrameType.Talk, enc.encode(`{"on":${this.int(2) === 0}}`));
      case 4:
        return encodeFrame(FrameType.Who);
      default:
        return encodeFrame(FrameType.Ping);
    }
  }

  /** Flips 1–4 bits of the payload (never of the header: the stream stays in step). */
  flipBody(f: Uint8Array): Uint8Array {
    if (f.length <= 5) return f;
    const out = f.slice();
    for (let k = 1 + this.int(4); k > 0; k--) out[5 + this.int(out.length - 5)] ^= 1 << this.int(8);
    return out;
  }

  /** A mutated frame that keeps the stream in step (the connection may go on). */
  inStep(): Uint8Array {
    const f = this.valid();
    switch (this.int(8)) {
      case 0: {
        // A random type with the same body.
        const out = f.slice();
        out[4] = this.int(256);
        return out;
      }
      case 1:
        return encodeFrame(this.int(256), this.bytes(this.int(64)));
      case 2: {
        // A payload cut short, re-framed with its true length.
        const body = f.subarray(5, 5 + this.int(Math.max(1, f.length - 5)));
        return encodeFrame(f[4], body);
      }
      case 3:
        return encodeFrame(FrameType.Hello, this.flipBody(helloFrame("again")).subarray(5));
      default:
        return this.flipBody(f);
    }
  }

  /** A mutation that breaks framing: the relay must refuse it and close. */
  outOfStep(): Uint8Array {
    const f = this.valid();
    switch (this.int(5)) {
      case 0: {
        // A bit flip in the length.
        const out = f.slice();
        out[this.int(4)] ^= 1 << this.int(8);
        return out;
      }
      case 1: {
        // A random length, with or without a body.
        const out = new Uint8Array(5 + this.int(32));
        new DataView(out.buffer).setUint32(0, this.#r());
        out.set(this.bytes(out.length - 4), 4);
        return out;
      }
      case 2:
        return f.subarray(0, this.int(f.length)); // truncated; next frame lands mid-body
      case 3:
        return new Uint8Array(4); // length 0
      default:
        return this.bytes(1 + this.int(64));
    }
  }

  /** A hello, mutated or not, or garbage in its place. */
  hello(nick: string, room: string): Uint8Array {
    switch (this.int(6)) {
      case 0:
        return this.flipBody(helloFrame(nick, room));
      case 1:
        return this.outOfStep();
      case 2:
        return helloFrame(nick, room).subarray(0, this.int(40)); // a hello that never completes
      default:
        return helloFrame(nick, room);
    }
  }
}

/** Reads and discards everything the relay sends a hostile connection. */
async function drain(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    while ((await conn.read(buf)) !== null) { /* discard */ }
  } catch {
    // Reset by the relay.
  }
}

interface Counters {
  frames: number;
  bytes: number;
  connections: number;
}

/** Garbage where a TLS ClientHello should be, on a plain socket to a TLS relay. */
async function garbageHandshake(port: number, m: Mutator, counters: Counters): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  counters.connections++;
  const reading = drain(conn);
  try {
    const bytes = m.bytes(16 + m.int(4096));
    // Half the time it starts like a TLS record, so the parser gets past the first byte.
    if (m.int(2) === 0) bytes.set([0x16, 0x03, 0x01], 0);
    await conn.write(bytes);
    counters.bytes += bytes.length;
  } catch {
    // Closed by the relay.
  }
  try {
    conn.close();
  } catch {
    // Already closed.
  }
  await reading;
}

/** One hostile worker: connect, hello (mostly), mutated batches until closed, again. */
async function hostileWorker(
  port: number,
  id: number,
  m: Mutator,
  counters: Counters,
  stop: () => boolean,
  tls: boolean,
): Promise<void> {
  let n = 0;
  while (!stop()) {
    let conn: Deno.Conn;
    try {
      // Against TLS, one connection in four sends garbage before any handshake.
      if (tls && m.int(4) === 0) {
        await garbageHandshake(port, m, counters);
        continue;
      }
      conn = await connectRelay(port, tls);
    } catch {
      await sleep(50); // relay restarting, or per-IP limit: try again shortly
      continue;
    }
    counters.connections++;
    const reading = drain(conn);
    // Worker 0 lives in the honest room, so honest clients receive its garbage.
    const room = id === 0 ? "lobby" : `fuzz${id % 3}`;
    try {
      const hello = m.hello(`h${id}x${n++}`, room);
      await conn.write(hello);
      counters.frames++;
      counters.bytes += hello.length;
      // Connections live for a few thousand frames, then break framing on purpose.
      const life = 200 + m.int(5000);
      let sent = 0;
      while (!stop() && sent < life) {
        const batch: Uint8Array[] = [];
        let size = 0;
        for (let i = 0; i < 256 && sent + i < life; i++) {
          const f = m.inStep();
          batch.push(f);
          size += f.length;
        }
        if (sent + batch.length >= life) {
          const f = m.outOfStep();
          batch.push(f);
          size += f.length;
        }
        const out = new Uint8Array(size);
        let at = 0;
        for (const f of batch) {
          out.set(f, at);
          at += f.length;
        }
        let off = 0;
        while (off < out.length) off += await conn.write(out.subarray(off));
        counters.frames += batch.length;
        counters.bytes += out.length;
        sent += batch.length;
      }
    } catch {
      // The relay closed this connection; that is its right.
    }
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    await reading;
  }
}

/** Runs one fuzz session against a fresh relay process. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const say = o.progress ?? (() => {});
  const tls = o.tls ?? true;
  const relayArgs = [
    "--hello-timeout",
    "1000",
    "--max-per-ip",
    "1000",
    ...(tls ? [] : ["--no-tls"]),
  ];
  let relay = await RelayProcess.start(relayArgs);
  const port = relay.port;
  let crashes = 0;
  let stopping = false;
  const watch = (r: RelayProcess) =>
    r.status.then(async (s) => {
      if (stopping) return;
      crashes++;
      say(`relay exited during the run (code ${s.code}, signal ${s.signal}); restarting`);
      say(r.logs.split("\n").slice(-20).join("\n"));
      relay = await RelayProcess.start(relayArgs, port);
      watch(relay);
    });
  watch(relay);

  const nicks = Array.from({ length: o.honest }, (_, i) => `honest${i}`);
  const honest = nicks.map((nick) => ClientProcess.start(port, { nick }));
  await Promise.all(honest.map((c) => c.ready()));
  const sent = nicks.map(() => 0);

  const counters: Counters = { frames: 0, bytes: 0, connections: 0 };
  const start = Date.now();
  const done = () => {
    const t = Date.now() - start;
    return t >= o.maxMs || (t >= o.minMs && counters.frames >= o.targetFrames);
  };
  const workers = Array.from(
    { length: o.hostile },
    (_, i) => hostileWorker(port, i, new Mutator(o.seed + i * 7919), counters, done, tls),
  );
  const chat = (async () => {
    const every = 1000 / o.honestRate;
    for (let k = 1; !done(); k++) {
      await sleep(Math.max(0, start + k * every - Date.now()));
      await Promise.all(honest.map((c, i) => c.send(`${nicks[i]} line ${++sent[i]}`)));
    }
  })();
  const ticker = setInterval(() => {
    const s = (Date.now() - start) / 1000;
    say(
      `${s.toFixed(0)} s: ${counters.frames} frames (${
        Math.round(counters.frames / s)
      }/s), ${counters.connections} hostile connections, ${sent[0]} honest lines each`,
    );
  }, 5000);
  await Promise.all([...workers, chat]);
  clearInterval(ticker);
  const ms = Date.now() - start;

  // Every receiver gets time to see every sender's last line (a receiver that
  // left first would miss it for reasons of this harness, not of the relay),
  // then the honest clients end (EOF: they leave once everything is delivered).
  await Promise.all(
    honest.flatMap((receiver, r) =>
      nicks.map((nick, s) =>
        s === r || sent[s] === 0 ? Promise.resolve() : receiver.waitFor(
          (e) => e.event === "text" && e.text === `${nick} line ${sent[s]}`,
          `${nick}'s last line`,
          30_000,
        ).catch(() => {}) // counted as lost below
      )
    ),
  );
  await Promise.all(honest.map((c) => c.finish()));
  let lost = 0;
  let dups = 0;
  let reordered = 0;
  for (const [r, receiver] of honest.entries()) {
    const got = receiver.texts();
    for (const [s, nick] of nicks.entries()) {
      if (s === r) continue;
      const mine = got.filter((t) => t.startsWith(`${nick} line `))
        .map((t) => Number(t.slice(nick.length + 6)));
      const unique = new Set(mine);
      dups += mine.length - unique.size;
      for (let k = 1; k <= sent[s]; k++) if (!unique.has(k)) lost++;
      if (mine.some((v, i) => i > 0 && v <= mine[i - 1])) reordered++;
    }
  }

  // The relay still serves a newcomer.
  let servesAfter = false;
  try {
    const probe = ClientProcess.start(port, { nick: "probe" });
    await probe.ready();
    servesAfter = true;
    await probe.finish();
  } catch {
    servesAfter = false;
  }
  stopping = true;
  await relay.stop();
  return {
    framesSent: counters.frames,
    bytesSent: counters.bytes,
    connections: counters.connections,
    relayCrashes: crashes,
    honestSent: sent.reduce((a, b) => a + b, 0),
    honestLost: lost,
    honestDuplicated: dups,
    honestReordered: reordered,
    honestDisconnects:
      honest.flatMap((c) => c.events).filter((e) =>
        e.event === "reconnecting" || (e.event === "error" && e.code === "disconnected")
      ).length,
    relayServesAfter: servesAfter,
    ms,
  };
}

if (import.meta.main) {
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? (Date.now() & 0x7fffffff));
  const targetFrames = Number(Deno.env.get("FUZZ_FRAMES") ?? 1_000_000);
  const o: FuzzOptions = {
    targetFrames,
    maxMs: Number(Deno.env.get("FUZZ_MAX_MS") ?? 600_000),
    minMs: 10_000,
    hostile: 8,
    honest: 3,
    honestRate: 5,
    seed,
    progress: (l) => console.log(l),
  };
  console.log(
    `fuzz: seed ${seed}, ${o.hostile} hostile connections, ${o.honest} honest clients, ` +
      `target ${targetFrames} frames, at most ${o.maxMs / 1000} s`,
  );
  const r = await runFuzz(o);
  console.log(
    [
      `frames sent:           ${r.framesSent} (${(r.bytesSent / 1e6).toFixed(1)} MB, ${
        Math.round(r.framesSent / (r.ms / 1000))
      } frames/s over ${(r.ms / 1000).toFixed(1)} s)`,
      `hostile connections:   ${r.connections}`,
      `relay crashes:         ${r.relayCrashes}`,
      `honest lines sent:     ${r.honestSent} (each to ${o.honest - 1} receivers)`,
      `honest messages lost:  ${r.honestLost}`,
      `duplicated, reordered: ${r.honestDuplicated}, ${r.honestReordered}`,
      `honest disconnects:    ${r.honestDisconnects}`,
      `relay serves after:    ${r.relayServesAfter}`,
    ].join("\n"),
  );
  const ok = r.framesSent >= targetFrames && r.relayCrashes === 0 && r.honestLost === 0 &&
    r.honestDuplicated === 0 && r.honestReordered === 0 && r.relayServesAfter;
  Deno.exit(ok ? 0 : 1);
}
