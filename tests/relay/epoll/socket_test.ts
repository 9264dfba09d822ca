// The epoll backend's sockets over real loopback TCP: accept, read and write both
// ways (against Deno's own sockets as the peer), writes that wait for a reader
// that does not read, close and reset, and the errors Deno's sockets would give.
import { resetClose } from "../../support/reset_close.ts";
import assert from "node:assert/strict";
import { connect } from "../../../lib/relay/epoll/connect.ts";
import { EpollListener } from "../../../lib/relay/epoll/listener.ts";
import type { EpollConn } from "../../../lib/relay/epoll/socket.ts";
import { ListenError, listenError } from "../../../lib/relay/listen_error.ts";
import { Relay } from "../../../lib/relay/relay.ts";

const PENDING = Symbol("pending");
/** Whether `p` has settled by now (no timer: a settled promise wins the race). */
const settled = async (p: Promise<unknown>) =>
  await Promise.race([p.then(() => true, () => true), Promise.resolve(PENDING)]) !== PENDING;

/** A listener on a free loopback port and one connection accepted from `dial`. */
async function pair<T>(dial: (port: number) => Promise<T>, host = "127.0.0.1") {
  const listener = EpollListener.open(host, 0);
  const accepted = listener[Symbol.asyncIterator]().next();
  const peer = await dial(listener.addr.port);
  const conn = (await accepted).value as EpollConn;
  return { listener, peer, conn };
}

/** Reads from `conn` until `total` bytes have come. */
async function readAll(conn: { read(b: Uint8Array): Promise<number | null> }, total: number) {
  const buf = new Uint8Array(64 * 1024);
  let got = 0;
  while (got < total) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`ended after ${got} of ${total} bytes`);
    got += n;
  }
  return got;
}

Deno.test("port 0: the bound port is reported; accept, then bytes both ways", async () => {
  const { listener, peer, conn } = await pair((port) =>
    Deno.connect({ hostname: "127.0.0.1", port })
  );
  assert.ok(listener.addr.port > 0);
  assert.equal(conn.remoteAddr.hostname, "127.0.0.1");
  assert.equal(conn.remoteAddr.port, (peer.localAddr as Deno.NetAddr).port);
  conn.setNoDelay(true);
  const buf = new Uint8Array(16);
  const reading = conn.read(buf);
  assert.equal(await settled(reading), false, "nothing sent yet: the read waits");
  await peer.write(new TextEncoder().encode("ping"));
  assert.equal(await reading, 4);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), "ping");
  assert.equal(await conn.write(new TextEncoder().encode("pong")), 4);
  const back = new Uint8Array(16);
  assert.equal(await peer.read(back), 4);
  peer.close();
  assert.equal(await conn.read(buf), null, "the peer's close ends the stream");
  conn.close();
  listener.close();
});

Deno.test("data and the peer's close seen before the read: the data, then the end", async () => {
  const { listener, peer, conn } = await pair((port) => connect("127.0.0.1", port));
  await peer.write(new Uint8Array(10).fill(1));
  peer.close();
  // A round trip on a second connection after the close: on loopback the FIN is queued
  // by the time close returns, so the reactor has reported it once this one arrives.
  const next = listener[Symbol.asyncIterator]().next();
  const probe = await connect("127.0.0.1", listener.addr.port);
  const probed = (await next).value as EpollConn;
  await probe.write(new Uint8Array(1));
  assert.equal(await probed.read(new Uint8Array(4)), 1);
  // No further event will come for the first socket: its reads must find the end themselves.
  const buf = new Uint8Array(64);
  assert.equal(await conn.read(buf), 10);
  assert.equal(await conn.read(buf), null);
  for (const c of [conn, probe, probed]) c.close();
  listener.close();
});

Deno.test("IPv6, and the client side's connect", async () => {
  const { listener, peer, conn } = await pair((port) => connect("::1", port), "::1");
  assert.equal(listener.addr.hostname, "::1");
  assert.equal(conn.remoteAddr.hostname, "::1");
  await peer.write(new Uint8Array([1, 2, 3]));
  assert.equal(await readAll(conn, 3), 3);
  peer.close();
  conn.close();
  listener.close();
});

Deno.test("a reader that does not read: writes go partial, then wait, then finish as it drains", async () => {
  const { listener, peer, conn } = await pair((port) =>
    Deno.connect({ hostname: "127.0.0.1", port })
  );
  const chunk = new Uint8Array(4 * 1024 * 1024).fill(7);
  const first = await conn.write(chunk);
  assert.ok(first > 0 && first < chunk.length, `a partial write (${first} of ${chunk.length})`);
  let written = first;
  let waiting: Promise<number> | null = null;
  // Fill the kernel's buffers until a write has to wait (bounded: loopback buffers are MiBs).
  for (let i = 0; i < 1000 && !waiting; i++) {
    const w = conn.write(chunk);
    if (await settled(w)) written += await w;
    else waiting = w;
  }
  assert.ok(waiting, "a write waits once the socket buffers are full");
  assert.equal(await settled(waiting), false);
  const draining = readAll(peer, written + 1);
  written += await waiting;
  assert.ok(await draining >= written - chunk.length, "the reader got what was written");
  conn.close();
  peer.close();
  listener.close();
});

Deno.test("trySend: sent at once, 0 once the buffers are full, a throw once closed", async () => {
  const { listener, peer, conn } = await pair((port) =>
    Deno.connect({ hostname: "127.0.0.1", port })
  );
  assert.equal(conn.trySend(new Uint8Array([1, 2, 3])), 3, "sent before returning");
  const chunk = new Uint8Array(4 * 1024 * 1024).fill(7);
  let written = 3;
  let zero = false;
  // Fill the kernel's buffers (bounded: loopback buffers are MiBs).
  for (let i = 0; i < 1000 && !zero; i++) {
    const n = conn.trySend(chunk);
    written += n;
    zero = n === 0;
  }
  assert.ok(zero, "0 once the peer does not read and the buffers are full");
  // The write that found no room now waits for the reader; trySend leaves it alone.
  const waiting = conn.write(chunk);
  assert.equal(await settled(waiting), false);
  assert.equal(conn.trySend(new Uint8Array(1)), 0, "no send past a waiting write");
  const draining = readAll(peer, written + 1);
  written += await waiting;
  assert.ok(await draining >= written - chunk.length, "the reader got what was sent");
  conn.close();
  assert.throws(() => conn.trySend(new Uint8Array(1)), Deno.errors.BrokenPipe);
  peer.close();
  listener.close();
});

Deno.test("close settles a pending read as Deno's does (Interrupted); later calls fail", async () => {
  const { listener, peer, conn } = await pair((port) =>
    Deno.connect({ hostname: "127.0.0.1", port })
  );
  const reading = conn.read(new Uint8Array(8));
  conn.close();
  await assert.rejects(reading, Deno.errors.Interrupted);
  await assert.rejects(conn.read(new Uint8Array(8)), Deno.errors.BadResource);
  await assert.rejects(conn.write(new Uint8Array(8)), Deno.errors.BrokenPipe);
  assert.throws(() => conn.close(), Deno.errors.BadResource);
  assert.equal(await peer.read(new Uint8Array(8)), null, "the peer sees the close");
  peer.close();
  listener.close();
});

Deno.test("a peer reset: the pending read fails with ConnectionReset, writes fail", async () => {
  const { listener, peer, conn } = await pair((port) => connect("127.0.0.1", port));
  const reading = conn.read(new Uint8Array(8));
  resetClose(peer);
  await assert.rejects(reading, Deno.errors.ConnectionReset);
  await assert.rejects(conn.write(new Uint8Array(8)), Error);
  conn.close();
  listener.close();
});

Deno.test("a port in use is AddrInUse, with the relay's message; refused connects too", async () => {
  const first = EpollListener.open("127.0.0.1", 0);
  const port = first.addr.port;
  const err = (() => {
    try {
      EpollListener.open("127.0.0.1", port).close();
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof Deno.errors.AddrInUse, String(err));
  assert.match(listenError(err, "127.0.0.1", port).message, /port \d+ is already in use/);
  // With SO_REUSEPORT on both, as --workers binds: the second shares the port.
  first.close();
  const a = EpollListener.open("127.0.0.1", port, true);
  const b = EpollListener.open("127.0.0.1", port, true);
  assert.equal(b.addr.port, port);
  a.close();
  b.close();
  await assert.rejects(connect("127.0.0.1", port), Deno.errors.ConnectionRefused);
  assert.throws(() => EpollListener.open("relay.example", 0), TypeError);
});

Deno.test("a relay built in-process with TLS and epoll is refused, not served in the clear", async () => {
  const relay = new Relay({
    host: "127.0.0.1",
    port: 0,
    io: "epoll",
    tls: { certPem: "", keyPem: "", fingerprint: "" },
  }, () => {});
  await assert.rejects(relay.listen(), ListenError, "--io epoll serves plain TCP only");
});

Deno.test("the reactor lets a process end once its sockets are closed", async () => {
  const code = `
    import { EpollListener } from ${
    JSON.stringify(new URL("../../../lib/relay/epoll/listener.ts", import.meta.url).href)
  };
    import { connect } from ${
    JSON.stringify(new URL("../../../lib/relay/epoll/connect.ts", import.meta.url).href)
  };
    const l = EpollListener.open("127.0.0.1", 0);
    const next = l[Symbol.asyncIterator]().next();
    const c = await connect("127.0.0.1", l.addr.port);
    const s = (await next).value;
    const read = s.read(new Uint8Array(4));
    await c.write(new Uint8Array([1]));
    await read;
    c.close(); s.close(); l.close();
    console.log("closed");`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /closed/);
});

Deno.test("readInto tells its target, never before returning, and a close as Interrupted", async () => {
  const { listener, peer, conn } = await pair((port) =>
    Deno.connect({ hostname: "127.0.0.1", port })
  );
  const told: string[] = [];
  let wake = () => {};
  const target = {
    readDone: (n: number | null) => {
      told.push(`done ${n}`);
      wake();
    },
    readFailed: (err: unknown) => {
      told.push(`failed ${(err as Error).name}`);
      wake();
    },
  };
  const next = () => new Promise<void>((r) => wake = r);
  const buf = new Uint8Array(16);
  await peer.write(new TextEncoder().encode("hi"));
  let came = next();
  conn.readInto(buf, target);
  assert.deepEqual(told, [], "not told before readInto returned");
  await came;
  assert.deepEqual(told, ["done 2"]);
  came = next();
  conn.readInto(buf, target); // nothing more sent: it waits
  assert.throws(() => conn.readInto(buf, target), Deno.errors.Busy);
  conn.close();
  assert.deepEqual(told, ["done 2"], "not told inside close()");
  await came;
  assert.deepEqual(told, ["done 2", "failed Interrupted"]);
  peer.close();
  listener.close();
});
