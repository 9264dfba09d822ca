/**
 * CPU per socket write in the relay's process, by how the write is made: N
 * loopback sockets (readers in a child process), one frame to each per round,
 * the writer's CPU (user + system, all threads) divided by the writes.
 *
 * Two figures per way. "window" is the CPU from the first write of a round to a
 * few microtask turns later (what this bench printed first); it misses the work
 * the event loop does afterwards: the completions of the async writes, the wakeups
 * of tokio's reactor. "all" is the CPU of the whole series, waits included, less
 * the same series with nothing written: every microsecond the writes cost.
 *
 * Ways, each with the same frame (`--frame text`: 100 bytes; `--frame voice`:
 * 85 bytes, what a listener gets): libc `send()` through FFI (the kernel's part
 * and little else); `conn.write` continued with `.then` (Deno's write op); for
 * text, `conn.write` awaited in an async function per socket, this checkout's
 * SendQueue and another checkout's (`--before DIR`); for voice, a talker's tagged
 * frame (2 tags, 74 sealed bytes, as bench/voice_fanout.ts sends) fanned out by
 * `Room.fanOutVoice` to one SendQueue per socket, as the relay does, with this
 * checkout's room and queue or another's. With `--null-writer` the queues write
 * to writers that complete at once without a system call: the relay's
 * JavaScript alone.
 *
 *   taskset -c 0 deno run -A bench/write_cost.ts [--frame text|voice] [--sockets 500]
 *     [--rounds 300] [--period 2] [--reader-core 1] [--before DIR] [--null-writer]
 *
 * `--reader-core C` pins the readers to core C (`taskset`); without it they
 * inherit the writer's core, so each wakeup of a reader stays on that core.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { type ByteWriter, SendQueue } from "../lib/send_queue.ts";
import { sleep } from "./proc.ts";

const TEXT_FRAME = new Uint8Array(100);
const LIMITS = { voiceBytes: 8192, maxBytes: 1 << 20 };
const TALKER_ID = 1;

async function readers(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    (async () => {
      const buf = new Uint8Array(65536);
      while ((await conn.read(buf)) !== null);
    })().catch(() => {});
  }
  console.log("ready");
}

function fdOf(conn: Deno.Conn): number {
  const sym = Object.getOwnPropertySymbols(conn).find((s) => s.description === "Deno.internal.fd");
  return (conn as unknown as Record<symbol, number>)[sym!];
}

/** The CPU microseconds this process used while `fn` ran. */
async function cpuOf(fn: () => Promise<void>): Promise<number> {
  const t = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(t);
  return used.user + used.system;
}

/** A checkout's fan-out: its Room with one SendQueue per socket as members. */
async function voiceFanOut(dir: string, conns: ByteWriter[]): Promise<() => void> {
  const root = `file://${dir.replace(/\/$/, "")}`;
  const { Room } = await import(`${root}/lib/relay/room.ts`);
  const { SendQueue: Q } = await import(`${root}/lib/send_queue.ts`);
  const { encodeTaggedVoice } = await import(`${root}/lib/protocol.ts`);
  const room = new Room("bench", "full");
  conns.forEach((c, i) => {
    const q = new Q(c, LIMITS, () => {}, () => {});
    const member = { nick: `l${i}`, id: i + 2, session: "", keyId: "" };
    room.add({ member, deliver: (f: Uint8Array, p: string) => q.send(f, p) });
  });
  // Tags for the first two listeners, as the benchmark's talker makes them.
  const tagged = encodeTaggedVoice(
    [[2, new Uint8Array([1, 2, 3, 4])], [3, new Uint8Array([5, 6, 7, 8])]],
    new Uint8Array(74).fill(9),
  );
  return () => room.fanOutVoice(TALKER_ID, tagged);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      child: { type: "boolean", default: false },
      rounds: { type: "string", default: "300" },
      sockets: { type: "string", default: "500" },
      period: { type: "string", default: "2" },
      frame: { type: "string", default: "text" },
      "reader-core": { type: "string" },
      "null-writer": { type: "boolean", default: false },
      before: { type: "string" },
    },
  });
  const sockets = Number(values.sockets);
  if (values.child) {
    await readers(Number(positionals[0]), sockets);
  } else {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String((listener.addr as Deno.NetAddr).port);
    const childArgs = ["run", "-A", new URL(import.meta.url).pathname, "--child", "--sockets"];
    childArgs.push(String(sockets), port);
    const core = values["reader-core"];
    const child = new Deno.Command(core === undefined ? Deno.execPath() : "taskset", {
      args: [...(core === undefined ? [] : ["-c", core, Deno.execPath()]), ...childArgs],
      stdout: "piped",
    });
    const reader = child.spawn();
    const conns: Deno.TcpConn[] = [];
    for (let i = 0; i < sockets; i++) {
      const c = await listener.accept() as Deno.TcpConn;
      c.setNoDelay(true);
      conns.push(c);
    }
    const ways: [string, () => unknown][] = [];
    const here = new URL("..", import.meta.url).pathname;
    const voice = values.frame === "voice";
    // A voice frame as a listener gets it: header, talker id, tag, 74 sealed bytes.
    const frame = voice ? new Uint8Array(5 + 2 + 4 + 74) : TEXT_FRAME;
    // `--null-writer`: writes that complete at once without a system call, as
    // Deno's write op does when the socket takes the bytes: our JavaScript alone.
    const writers: ByteWriter[] = values["null-writer"]
      ? conns.map(() => ({ write: (b: Uint8Array) => Promise.resolve(b.length) }))
      : conns;
    if (!values["null-writer"]) {
      const libc = Deno.dlopen("libc.so.6", {
        send: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
      });
      const fds = conns.map(fdOf);
      const MSG_DONTWAIT_NOSIGNAL = 0x40 | 0x4000;
      ways.push(["send() through FFI", () => {
        for (const fd of fds) libc.symbols.send(fd, frame, frame.length, MSG_DONTWAIT_NOSIGNAL);
      }]);
      if (!voice) {
        ways.push(["conn.write, await per socket", () =>
          Promise.all(conns.map(async (c) => {
            await c.write(frame);
          }))]);
      }
      ways.push(["conn.write, .then", () => {
        for (const c of conns) c.write(frame).then((n) => n);
      }]);
    }
    if (voice) {
      ways.push(["fanOutVoice (this checkout)", await voiceFanOut(here, writers)]);
      if (values.before) {
        ways.push(["fanOutVoice (--before)", await voiceFanOut(values.before, writers)]);
      }
    } else {
      const queues = (Q: typeof SendQueue) =>
        writers.map((c) => new Q(c, LIMITS, () => {}, () => {}));
      const ours = queues(SendQueue);
      ways.push(["SendQueue (this checkout)", () => {
        for (const q of ours) q.send(frame, "text");
      }]);
      if (values.before) {
        const url = new URL(`file://${values.before.replace(/\/$/, "")}/lib/send_queue.ts`);
        const old = queues((await import(url.href)).SendQueue);
        ways.push(["SendQueue (--before)", () => {
          for (const q of old) q.send(frame, "text");
        }]);
      }
    }
    const rounds = Number(values.rounds);
    const period = Number(values.period);
    const writes = rounds * sockets;
    // One series: `rounds` rounds `period` ms apart; returns [window CPU, whole CPU].
    const series = async (write: (() => unknown) | null): Promise<[number, number]> => {
      let window = 0;
      const whole = await cpuOf(async () => {
        for (let r = 0; r < rounds; r++) {
          window += await cpuOf(async () => {
            await write?.();
            for (let i = 0; i < 6; i++) await null; // let the queues' flushes start
          });
          await sleep(period);
        }
        await sleep(20); // the last round's completions
      });
      return [window, whole];
    };
    for (let rep = 1; rep <= 3; rep++) {
      await sleep(100);
      const [, idle] = await series(null);
      for (const [name, write] of ways) {
        await sleep(100);
        const [window, whole] = await series(write);
        console.log(
          `${rep} ${name.padEnd(30)} window ${(window / writes).toFixed(2)} µs, all ${
            ((whole - idle) / writes).toFixed(2)
          } µs CPU per write (idle series ${(idle / 1000).toFixed(0)} ms)`,
        );
      }
    }
    reader.kill();
    Deno.exit(0);
  }
}
