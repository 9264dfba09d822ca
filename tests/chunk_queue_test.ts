import assert from "node:assert/strict";
import { ChunkQueue } from "../lib/chunk_queue.ts";

Deno.test("chunk queue: any read size yields the bytes in order, then the end", async () => {
  const q = new ChunkQueue();
  q.push(new Uint8Array([1, 2, 3]));
  q.push(new Uint8Array([4, 5]));
  q.end(null);
  const buf = new Uint8Array(2);
  const got: number[] = [];
  for (let n; (n = await q.read(buf)) !== null;) got.push(...buf.subarray(0, n));
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
  assert.equal(q.buffered, 0);
});

Deno.test("chunk queue: a waiting read wakes for data, and for our own close", async () => {
  const q = new ChunkQueue();
  const buf = new Uint8Array(8);
  const first = q.read(buf);
  q.push(new Uint8Array([9]));
  assert.equal(await first, 1);
  const second = q.read(buf);
  q.close();
  assert.equal(await second, null);
  q.push(new Uint8Array([1]));
  assert.equal(q.buffered, 0, "nothing is taken after the end");
});

Deno.test("chunk queue: an error comes after unread bytes, or at once when they are dropped", async () => {
  const buf = new Uint8Array(8);
  const kept = new ChunkQueue();
  kept.push(new Uint8Array([1, 2]));
  kept.end(new RangeError("boom"));
  assert.equal(await kept.read(buf), 2);
  await assert.rejects(kept.read(buf), RangeError);

  const dropped = new ChunkQueue();
  dropped.push(new Uint8Array([1, 2]));
  dropped.end(new RangeError("flood"), true);
  assert.equal(dropped.buffered, 0);
  await assert.rejects(dropped.read(buf), RangeError);
});
