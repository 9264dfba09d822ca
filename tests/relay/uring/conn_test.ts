// io_uring connections over real loopback TCP (Deno's own sockets as the peer): a
// connection taken over from the epoll backend reads through its multishot receive and
// writes through the ring, keeps bytes that came while no read waited, sees the peer's
// end, and closes for real (the peer reads its end) although a receive was armed. Where
// io_uring cannot be set up (a container that forbids it) the tests are skipped.
import assert from "node:assert/strict";
import { connect } from "../../../lib/relay/epoll/connect.ts";
import { UringConn } from "../../../lib/relay/uring/conn.ts";
import { uringAvailable } from "../../../lib/relay/uring/ring.ts";

const why = uringAvailable();
if (why !== null) console.warn(`io_uring tests skipped: ${why}`);
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: why !== null, fn });

/** A Deno listener, a uring connection to it and the accepted peer. */
async function pair() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const conn = UringConn.adopt(await connect("127.0.0.1", listener.addr.port));
  const peer = await accepting;
  return { listener, conn, peer };
}

/** Reads from `conn` in reads of `chunk` bytes until `total` have come: the bytes. */
async function readAll(conn: UringConn, total: number, chunk: number): Promise<Uint8Array> {
  const out = new Uint8Array(total);
  let got = 0;
  while (got < total) {
    const n = await conn.read(out.subarray(got, Math.min(total, got + chunk)));
    if (n === null) throw new Error(`ended after ${got} of ${total} bytes`);
    got += n;
  }
  return out;
}

test("bytes both ways, in order, through small and large reads", async () => {
  const { listener, conn, peer } = await pair();
  await peer.write(new TextEncoder().encode("ping"));
  const buf = new Uint8Array(16);
  assert.equal(await conn.read(buf), 4);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), "ping");
  assert.equal(await conn.write(new TextEncoder().encode("pong")), 4);
  assert.equal(await peer.read(buf), 4);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), "pong");
  // 300 KiB, more than the provided buffers hold at once in one arrival, read 700 at a time
  // (a receive's buffer split over reads) while the peer writes.
  const sent = new Uint8Array(300 * 1024).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
  const writing = (async () => {
    for (let at = 0; at < sent.length;) at += await peer.write(sent.subarray(at));
  })();
  const got = await readAll(conn, sent.length, 700);
  await writing;
  assert.deepEqual(got, sent);
  conn.close();
  peer.close();
  listener.close();
});

test("bytes that came while no read waited are kept for the next reads", async () => {
  const { listener, conn, peer } = await pair();
  for (let i = 0; i < 5; i++) await peer.write(new Uint8Array(100).fill(i + 1));
  // A round trip that the connection itself answers: by then the five writes are in.
  assert.equal(await conn.write(new Uint8Array([9])), 1);
  assert.equal(await peer.read(new Uint8Array(1)), 1);
  const got = await readAll(conn, 500, 64);
  for (let i = 0; i < 5; i++) {
    assert.ok(got.subarray(i * 100, i * 100 + 100).every((b) => b === i + 1));
  }
  conn.close();
  peer.close();
  listener.close();
});

test("the peer's close ends the stream; our close reaches the peer", async () => {
  const { listener, conn, peer } = await pair();
  peer.close();
  assert.equal(await conn.read(new Uint8Array(8)), null);
  conn.close();
  const other = await pair();
  const reading = other.conn.read(new Uint8Array(8));
  other.conn.close();
  await assert.rejects(reading, Deno.errors.Interrupted);
  // The armed receive held the socket in the kernel; the cancellation let the close happen.
  assert.equal(await other.peer.read(new Uint8Array(8)), null);
  assert.throws(() => other.conn.close(), Deno.errors.BadResource);
  await assert.rejects(other.conn.write(new Uint8Array(1)), Deno.errors.BrokenPipe);
  other.peer.close();
  other.listener.close();
  listener.close();
});
