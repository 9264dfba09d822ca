import assert from "node:assert/strict";
import { FrameQueue, seqDiff } from "../../audio/frame_queue.ts";

const pkt = (seq: number) => Uint8Array.of(seq & 0xff);

Deno.test("seqDiff: sequence numbers wrap around uint32", () => {
  assert.equal(seqDiff(0, 0xffffffff), 1);
  assert.equal(seqDiff(0xfffffffe, 1), -3);
});

Deno.test("frame queue: oldest, newest and span follow wrap-around order", () => {
  const q = new FrameQueue(8);
  assert.equal(q.oldest(7), 7, "an empty queue gives the fallback");
  assert.equal(q.spanFrom(0), 0);
  for (const seq of [1, 0xfffffffe, 0]) q.add(seq, pkt(seq), 100);
  assert.equal(q.oldest(7), 0xfffffffe);
  assert.equal(q.newest(7), 1);
  assert.equal(q.spanFrom(0xfffffffe), 4, "0xfffffffe..1 spans four frames, one missing");
  assert.equal(q.spanFrom(5), 0, "a head past the newest frame spans nothing");
});

Deno.test("frame queue: take hands out the frame with its arrival, once", () => {
  const q = new FrameQueue(8);
  q.add(3, pkt(3), 60);
  q.add(4, pkt(4));
  assert.deepEqual(q.take(3), { payload: pkt(3), arrivedMs: 60 });
  assert.equal(q.take(3), undefined);
  assert.deepEqual(q.take(4), { payload: pkt(4), arrivedMs: undefined }, "an untimed frame");
  assert.equal(q.size, 0);
});

Deno.test("frame queue: a full queue loses its oldest frame; a backlog is trimmed from the old end", () => {
  const q = new FrameQueue(3);
  assert.equal(q.add(10, pkt(10)), false);
  assert.equal(q.add(11, pkt(11)), false);
  assert.equal(q.add(12, pkt(12)), false);
  assert.equal(q.add(13, pkt(13)), true, "full: 10 goes");
  assert.equal(q.has(10), false);
  assert.equal(q.dropBefore(13), 2, "11 and 12 are older than 13");
  assert.deepEqual([q.size, q.oldest(0)], [1, 13]);
});

Deno.test("frame queue: the earliest due time comes from the earliest timed frame", () => {
  const q = new FrameQueue(8);
  assert.equal(q.earliestDue(0), Infinity);
  q.add(0, pkt(0), 130); // late
  q.add(1, pkt(1), 125); // due at 105 for frame 0
  q.add(2, pkt(2)); // untimed: not a witness
  assert.equal(q.earliestDue(0), 105);
});
