/**
 * How soon an io_uring connection (lib/relay/uring/) sees bytes: a Deno
 * socket writes 100 bytes to a {@linkcode UringConn} every 20 ms (idle
 * between, as a voice or text reader is), and the time until its read
 * completes is taken, and the same for a write the other way. Woken (the
 * relay's loop) by default; `--poll MS` makes the loop a polled one, as the
 * voice bench's listeners use.
 *
 *   deno run -A bench/uring_wake.ts [--poll 1] [--rounds 50]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connect } from "../lib/relay/epoll/connect.ts";
import { UringConn } from "../lib/relay/uring/conn.ts";
import { pollUring } from "../lib/relay/uring/loop.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { poll: { type: "string" }, rounds: { type: "string", default: "50" } },
});
if (values.poll) pollUring(Number(values.poll));
const rounds = Number(values.rounds);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const accepting = listener.accept();
const conn = UringConn.adopt(await connect("127.0.0.1", listener.addr.port));
const peer = await accepting;
const reads: number[] = [], writes: number[] = [];
const buf = new Uint8Array(4096);
for (let i = 0; i < rounds; i++) {
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  await peer.write(new Uint8Array(100));
  await conn.read(buf);
  reads.push(performance.now() - t0);
  const t1 = performance.now();
  await conn.write(new Uint8Array(100));
  await peer.read(buf);
  writes.push(performance.now() - t1);
}
const show = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  return `p50 ${xs[xs.length >> 1].toFixed(2)} ms, max ${xs[xs.length - 1].toFixed(2)} ms`;
};
console.log(
  `${values.poll ? `polled every ${values.poll} ms` : "woken"}: read ${show(reads)}; write ${
    show(writes)
  } (${rounds} rounds)`,
);
conn.close();
peer.close();
listener.close();
