/**
 * CPU per socket write in the relay's process, by how the write is made: 500
 * loopback sockets (readers in a child process), one 100-byte frame to each per
 * round, the writer's CPU (user + system, all threads) divided by the writes.
 * Ways: `conn.write` awaited in an async function per socket; `conn.write`
 * continued with `.then`; this checkout's SendQueue; the SendQueue of another
 * checkout (`--before DIR`); libc `send()` through FFI on the same sockets.
 *
 *   taskset -c 0 deno run -A bench/write_cost.ts [--rounds 300] [--before DIR]
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { SendQueue } from "../lib/send_queue.ts";
import { sleep } from "./proc.ts";

const SOCKETS = 500;
const FRAME = new Uint8Array(100);
const LIMITS = { voiceBytes: 8192, maxBytes: 1 << 20 };

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

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      child: { type: "boolean", default: false },
      rounds: { type: "string", default: "300" },
      before: { type: "string" },
    },
  });
  if (values.child) {
    await readers(Number(positionals[0]), SOCKETS);
  } else {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--child",
        String((listener.addr as Deno.NetAddr).port),
      ],
      stdout: "piped",
    }).spawn();
    const conns: Deno.TcpConn[] = [];
    for (let i = 0; i < SOCKETS; i++) {
      const c = await listener.accept() as Deno.TcpConn;
      c.setNoDelay(true);
      conns.push(c);
    }
    const queues = (Q: typeof SendQueue) => conns.map((c) => new Q(c, LIMITS, () => {}, () => {}));
    const libc = Deno.dlopen("libc.so.6", {
      send: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
    });
    const fds = conns.map(fdOf);
    const MSG_DONTWAIT_NOSIGNAL = 0x40 | 0x4000;
    const ways: [string, () => unknown][] = [
      ["conn.write, await per socket", () =>
        Promise.all(conns.map(async (c) => {
          await c.write(FRAME);
        }))],
      ["conn.write, .then", () => {
        for (const c of conns) c.write(FRAME).then((n) => n);
      }],
    ];
    const ours = queues(SendQueue);
    ways.push(["SendQueue (this checkout)", () => {
      for (const q of ours) q.send(FRAME, "text");
    }]);
    if (values.before) {
      const url = new URL(`file://${values.before.replace(/\/$/, "")}/lib/send_queue.ts`);
      const old = queues((await import(url.href)).SendQueue);
      ways.push(["SendQueue (--before)", () => {
        for (const q of old) q.send(FRAME, "text");
      }]);
    }
    ways.push(["send() through FFI", () => {
      for (const fd of fds) libc.symbols.send(fd, FRAME, FRAME.length, MSG_DONTWAIT_NOSIGNAL);
    }]);
    const rounds = Number(values.rounds);
    for (let rep = 1; rep <= 3; rep++) {
      for (const [name, write] of ways) {
        await sleep(100);
        let cpu = 0;
        for (let r = 0; r < rounds; r++) {
          const t = process.cpuUsage();
          await write();
          for (let i = 0; i < 6; i++) await null; // let the queues' flushes run
          const used = process.cpuUsage(t);
          cpu += used.user + used.system;
          await sleep(2);
        }
        console.log(
          `${rep} ${name.padEnd(30)} ${(cpu / (rounds * SOCKETS)).toFixed(2)} µs CPU per write`,
        );
      }
    }
    child.kill();
    Deno.exit(0);
  }
}
