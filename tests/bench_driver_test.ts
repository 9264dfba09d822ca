/**
 * The load generator's read loop (bench/driver.ts) over real TCP sockets: a
 * `Deno.Conn` read through promises and an epoll socket read through one
 * target (`readInto`) must hand `parse` the same bytes, keep what a frame split
 * across reads left over, grow the buffer for a frame larger than it, and end
 * at the end of the stream.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readLoop } from "../bench/driver.ts";
import { benchConnect, type BenchIo } from "../bench/bench_tls.ts";
import { encodeFrame, scanFrames } from "../lib/framing.ts";

/** Frames of 1..n bytes of payload, then one larger than the loop's first buffer. */
function frames(n: number, big: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) out.push(encodeFrame(7, new Uint8Array(i).fill(i & 0xff)));
  out.push(encodeFrame(8, new Uint8Array(big).fill(0x5a)));
  return out;
}

async function readAll(io: BenchIo): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const accepted = listener.accept();
    const conn = await benchConnect(listener.addr.port, null, io);
    const server = await accepted;
    const sent = frames(200, 3000);
    const got: number[] = [];
    let bigOk = false;
    const done = readLoop(
      conn,
      (buf, end) =>
        scanFrames(buf, 0, end, 1 << 20, (type, from, to) => {
          if (type === 7) {
            const len = to - from;
            assert.ok(buf.subarray(from, to).every((b) => b === (len & 0xff)));
            got.push(len);
          } else bigOk = to - from === 3000 && buf.subarray(from, to).every((b) => b === 0x5a);
        }),
      null,
      () => false,
      256,
    );
    // Written in pieces that cut frames apart, with pauses, so reads see partial frames.
    const all = new Uint8Array(sent.reduce((a, f) => a + f.length, 0));
    let at = 0;
    for (const f of sent) all.set(f, at), at += f.length;
    for (let off = 0; off < all.length; off += 997) {
      const piece = all.subarray(off, Math.min(all.length, off + 997));
      for (let w = 0; w < piece.length;) w += await server.write(piece.subarray(w));
      await new Promise((r) => setTimeout(r, 1));
    }
    server.close();
    await done;
    conn.close();
    assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i + 1));
    assert.ok(bigOk, "the frame larger than the first buffer arrived whole");
  } finally {
    listener.close();
  }
}

Deno.test("bench readLoop: Deno sockets, read through promises, get every frame", async () => {
  await readAll("deno");
});

Deno.test("bench readLoop: epoll sockets, read through one target, get every frame", async () => {
  await readAll("epoll");
});
