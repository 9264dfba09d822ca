import assert from "node:assert/strict";
import { DuplicateFilter, Outbox } from "../../lib/client/outbox.ts";

Deno.test("Outbox: add numbers texts from 1 and keeps them unsent", () => {
  const box = new Outbox();
  const a = box.add("one", 1000);
  const b = box.add("two", 2000);
  assert.deepEqual(a, { n: 1, text: "one", ts: 1000, connSeq: null });
  assert.equal(b.n, 2);
  assert.equal(box.size, 2);
  assert.deepEqual(box.unsent(), [a, b]);
});

Deno.test("Outbox: markSent then a forwarded ack removes the text", () => {
  const box = new Outbox();
  const a = box.add("one");
  const b = box.add("two");
  box.markSent(a);
  box.markSent(b);
  assert.equal(a.connSeq, 1);
  assert.equal(b.connSeq, 2);
  assert.deepEqual(box.unsent(), []);
  assert.equal(box.ack(1, true), a);
  assert.equal(box.size, 1);
  assert.equal(box.ack(1, true), null, "an ack is applied once");
  assert.equal(box.ack(99, true), null, "unknown seq");
  assert.equal(box.ack(2, true), b);
  assert.equal(box.size, 0);
});

Deno.test("Outbox: a rate-limited ack keeps the text, unsent, for another try", () => {
  const box = new Outbox();
  const a = box.add("one");
  const b = box.add("two");
  box.markSent(a);
  box.markSent(b);
  assert.equal(box.ack(1, false), a);
  assert.equal(box.size, 2);
  assert.equal(a.connSeq, null);
  assert.deepEqual(box.unsent(), [a]);
  box.markSent(a);
  assert.equal(a.connSeq, 3, "a fresh sequence number on the same connection");
  assert.equal(box.ack(3, true), a);
  assert.equal(box.ack(2, true), b);
  assert.equal(box.size, 0);
});

Deno.test("Outbox: resetConnection re-queues every unacked text in order with fresh seqs", () => {
  const box = new Outbox();
  const items = ["a", "b", "c", "d"].map((t) => box.add(t));
  for (const p of items) box.markSent(p);
  box.ack(2, true); // "b" is done
  box.resetConnection();
  const again = box.unsent();
  assert.deepEqual(again.map((p) => p.text), ["a", "c", "d"]);
  assert.deepEqual(again.map((p) => p.n), [1, 3, 4], "message numbers are kept");
  for (const p of again) box.markSent(p);
  assert.deepEqual(again.map((p) => p.connSeq), [1, 2, 3]);
  // Acks now refer to the new connection's numbering.
  assert.equal(box.ack(2, true)?.text, "c");
  assert.deepEqual(box.unsent(), []);
  assert.equal(box.size, 2);
  // New texts continue the message numbering.
  assert.equal(box.add("e").n, 5);
});

Deno.test("DuplicateFilter: first time true, copy false, per session", () => {
  const f = new DuplicateFilter();
  assert.equal(f.firstTime("s1", 1), true);
  assert.equal(f.firstTime("s1", 1), false);
  assert.equal(f.firstTime("s1", 2), true);
  assert.equal(f.firstTime("s2", 1), true, "another session has its own numbers");
  assert.equal(f.firstTime("s2", 1), false);
  assert.equal(f.firstTime("s1", 2), false);
});

Deno.test("DuplicateFilter: remembers only the last `window` numbers", () => {
  const f = new DuplicateFilter(3);
  for (const n of [1, 2, 3, 4]) assert.equal(f.firstTime("s", n), true);
  assert.equal(f.firstTime("s", 4), false);
  assert.equal(f.firstTime("s", 2), false);
  assert.equal(f.firstTime("s", 1), true, "1 fell out of the window");
});
