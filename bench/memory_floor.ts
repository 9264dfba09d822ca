/**
 * Where an idle connection's memory goes: the same 10,000 idle clients held
 * six ways in this process, each measured as RSS and V8 heap growth per
 * connection after a forced GC. `held`: Deno connections accepted and kept,
 * nothing read. `read`: plus one pending `conn.read` of 128 bytes each (the least
 * a server on `Deno.Conn` keeps per connection). `slots`: the same with the
 * buffers carved from shared slabs (lib/relay/read_slots.ts). `op`: the same read through
 * Deno's internal op, without its async wrapper (internal, for comparison only).
 * `fd`: the socket kept only as a descriptor (dup'ed through FFI, Deno's
 * resource closed), as a readiness-based (epoll) server would hold it. `relay`:
 * our relay, with clients that joined rooms of 100 as in bench/memory.ts.
 *
 *   deno run -A bench/memory_floor.ts [--clients 10000] [--ways held,read,slots,op,fd,relay]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ReadSlots } from "../lib/relay/read_slots.ts";
import { Relay } from "../lib/relay/relay.ts";
import { AmDriver } from "./am_driver.ts";
import { Recorder } from "./recorder.ts";
import { sleep } from "./proc.ts";

type Way = "held" | "read" | "slots" | "op" | "fd" | "relay";
const READ_BYTES = 128;

/** Child mode: opens `n` connections (joined to rooms of 100 for `relay`) and holds them. */
async function clients(port: number, n: number, join: boolean): Promise<void> {
  const held: unknown[] = [];
  if (join) {
    const driver = await AmDriver.create();
    const recorder = new Recorder(0, 0);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        held.push(
          await driver.connect({
            port,
            index: 100000 + i,
            sender: false,
            sample: false,
            recorder,
            pacer: null,
            room: `r${Math.floor(i / 100)}`,
            readBufferBytes: 4096,
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } else {
    // One byte each, as a client says hello: the server's first read completes and
    // the next one waits.
    for (let i = 0; i < n; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new Uint8Array([0]));
      held.push(conn);
    }
  }
  console.log("ready");
  setInterval(() => held.length, 60_000); // keep them
}

function internal(conn: Deno.Conn, name: string): number {
  const sym = Object.getOwnPropertySymbols(conn).find((s) => s.description === name);
  return (conn as unknown as Record<symbol, number>)[sym!];
}

const slots = new ReadSlots(READ_BYTES);

/** Holds connections one way; returns what they cost. */
async function measure(way: Way, n: number): Promise<{ rss: number; heap: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  const keep: unknown[] = [];
  let port: number;
  let relay: Relay | null = null;
  let listener: Deno.Listener | null = null;
  if (way === "relay") {
    relay = new Relay({
      host: "127.0.0.1",
      port: 0,
      maxClients: n * 2,
      maxPerIp: n * 2,
      idleTimeoutMs: 3_600_000,
    }, () => {});
    port = (await relay.listen()).port;
    relay.serve();
  } else {
    listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    port = (listener.addr as Deno.NetAddr).port;
    // deno-lint-ignore no-explicit-any
    const core = way === "op" ? (Deno as any)[(Deno as any).internal].core : null;
    const libc = way === "fd"
      ? Deno.dlopen("libc.so.6", { dup: { parameters: ["i32"], result: "i32" } })
      : null;
    (async () => {
      for await (const c of listener!) {
        if (way === "held") keep.push(c);
        else if (way === "read" || way === "slots") {
          const buf = way === "read" ? new Uint8Array(READ_BYTES) : slots.take();
          const next = (n: number | null) => void (n !== null && c.read(buf).then(next));
          c.read(buf).then(next);
        } else if (way === "op") {
          const rid = internal(c, "Deno.internal.rid");
          const buf = new Uint8Array(READ_BYTES);
          const next = (n: number) => void (n > 0 && core.read(rid, buf).then(next));
          core.read(rid, buf).then(next);
        } else {
          keep.push(libc!.symbols.dup(internal(c, "Deno.internal.fd")));
          c.close();
        }
      }
    })().catch(() => {});
  }
  await sleep(300);
  gc();
  const before = Deno.memoryUsage();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", String(port), String(n), way],
    stdout: "piped",
  }).spawn();
  await child.stdout.getReader().read();
  await sleep(2000);
  gc();
  gc();
  const after = Deno.memoryUsage();
  child.kill();
  await child.status;
  listener?.close();
  return { rss: (after.rss - before.rss) / n, heap: (after.heapUsed - before.heapUsed) / n };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      child: { type: "boolean", default: false },
      way: { type: "string" },
      clients: { type: "string", default: "10000" },
      ways: { type: "string", default: "held,read,slots,op,fd,relay" },
    },
  });
  const n = Number(values.clients);
  if (values.child) {
    await clients(Number(positionals[0]), Number(positionals[1]), positionals[2] === "relay");
  } else if (values.way) {
    const r = await measure(values.way as Way, n);
    console.log(
      `${values.way.padEnd(6)} ${n} idle connections: ${(r.rss / 1024).toFixed(2)} KiB RSS each ` +
        `(V8 heap ${(r.heap / 1024).toFixed(2)} KiB)`,
    );
    Deno.exit(0);
  } else {
    // Each way in a fresh process, so none inherits another's heap or descriptors.
    for (const way of values.ways!.split(",")) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--v8-flags=--expose-gc,--max-semi-space-size=4",
          new URL(import.meta.url).pathname,
          "--way",
          way,
          "--clients",
          String(n),
        ],
        stderr: "inherit",
      }).output();
      Deno.stdout.writeSync(out.stdout);
    }
  }
}
