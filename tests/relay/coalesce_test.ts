// Under a real busy text load, the relay coalesces text and control frames into
// shared flush turns (lib/relay/coalescer.ts). The threshold is lowered here so
// that a few members on a loaded test machine make the relay busy for certain;
// the window is the default. Every text must still reach every other member,
// in each sender's order, and every text must be acked as forwarded. Half the
// members only listen: a sender's queue flushes at once for its own acks, which
// are replies, so the listeners' queues are where texts wait.
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/framing.ts";
import { ACK_FORWARDED, decodeAck } from "../../lib/data_frames.ts";
import { FrameType } from "../../lib/protocol.ts";
import { helloFrame, RawPeer, RelayProcess } from "../support/harness.ts";
import { IO_BACKENDS, withBackend } from "../support/io_backends.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MEMBERS = 8;
const SENDERS = 4;
const TEXTS = 200;
// 4 senders at 100 texts a second to 7 others: 2,800 deliveries a second, 28 times the threshold.
const ARGS = ["--text-rate", "400", "--text-burst", "400", "--coalesce-rate", "100"];

/** An opaque "text": sender index and sequence number. */
function text(from: number, seq: number): Uint8Array {
  const body = new Uint8Array(64);
  body[0] = from;
  new DataView(body.buffer).setUint32(1, seq);
  return encodeFrame(FrameType.Text, body);
}

// Each behaviour on both socket I/O backends (tests/support/io_backends.ts).
for (const io of IO_BACKENDS) {
  Deno.test(
    `a busy relay coalescing texts delivers every one, in order, and acks each [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(withBackend(io, ARGS));
      const peers: RawPeer[] = [];
      for (let i = 0; i < MEMBERS; i++) {
        const p = await RawPeer.connect(relay.port);
        await p.write(helloFrame(`m${i}`));
        await p.until(() => p.frames.some((f) => f.type === FrameType.Welcome), "welcome");
        peers.push(p);
      }
      // Each receiver checks, as frames come, that each sender's texts arrive in order.
      const received = peers.map(() => new Array<number>(SENDERS).fill(0));
      const acked = peers.map(() => 0);
      const watch = (p: RawPeer, me: number) => {
        let idx = 0;
        return p.until(
          () => {
            for (; idx < p.frames.length; idx++) {
              const f = p.frames[idx];
              if (f.type === FrameType.Ack) {
                assert.equal(decodeAck(f.payload).status, ACK_FORWARDED);
                acked[me]++;
              }
              if (f.type !== FrameType.Text) continue;
              const body = f.payload.subarray(1 + f.payload[0]); // after the relay's nick stamp
              const from = body[0];
              const seq = new DataView(body.buffer, body.byteOffset).getUint32(1);
              assert.equal(
                seq,
                received[me][from],
                `m${me}: text ${seq} from m${from} out of order`,
              );
              received[me][from]++;
            }
            const all = received[me].every((n, from) => from === me || n === TEXTS);
            return (all && acked[me] === (me < SENDERS ? TEXTS : 0)) || p.isClosed;
          },
          `every text at m${me}`,
          60_000,
        );
      };
      const watching = Promise.all(peers.map(watch));
      const start = performance.now();
      for (let k = 0; k < TEXTS; k++) {
        // Paced at 100 a second per sender, as people's clients would never, to keep it busy.
        await sleep(Math.max(0, start + k * 10 - performance.now()));
        await Promise.all(peers.slice(0, SENDERS).map((p, i) => p.write(text(i, k))));
      }
      await watching;
      for (const [i, p] of peers.entries()) {
        assert.ok(!p.isClosed, `m${i} still connected`);
        assert.equal(p.errors().length, 0, JSON.stringify(p.errors()));
        assert.equal(acked[i], i < SENDERS ? TEXTS : 0);
        assert.ok(received[i].every((n, from) => from === i || n === TEXTS));
        p.close();
      }
      await relay.stop();
    },
  );
}
