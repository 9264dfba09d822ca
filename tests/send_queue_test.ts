import { resetClose } from "./support/reset_close.ts";
import assert from "node:assert/strict";
import { type ByteWriter, type QueueLimits, SendQueue } from "../lib/send_queue.ts";
import { connect } from "../lib/relay/epoll/connect.ts";
import { EpollListener } from "../lib/relay/epoll/listener.ts";
import type { EpollConn } from "../lib/relay/epoll/socket.ts";

/**
 * Stands in for a socket (a Deno.Conn): records every write, may accept only part
 * of what it is given, and may hold writes until the test releases them, the way
 * a peer that stops reading makes a real socket's writes wait.
 */
class FakeSocket implements ByteWriter {
  writes: Uint8Array[] = [];
  /** Most bytes one write accepts. */
  maxPerWrite = Infinity;
  /** While true, writes wait for release(). */
  blocked = false;
  /** When set, the next write fails with it. */
  failWith: Error | null = null;
  #waiting: (() => void)[] = [];

  async write(bytes: Uint8Array): Promise<number> {
    if (this.blocked) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.failWith) throw this.failWith;
    const n = Math.min(bytes.length, this.maxPerWrite);
    this.writes.push(bytes.slice(0, n));
    return n;
  }

  /** Lets waiting writes (and later ones) through. */
  release(): void {
    this.blocked = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  get received(): Uint8Array {
    const out = new Uint8Array(this.writes.reduce((n, w) => n + w.length, 0));
    let at = 0;
    for (const w of this.writes) {
      out.set(w, at);
      at += w.length;
    }
    return out;
  }
}

function frame(size: number, fill: number): Uint8Array {
  return new Uint8Array(size).fill(fill);
}

function setup(limits: QueueLimits = { voiceBytes: 100, maxBytes: 1000 }) {
  const socket = new FakeSocket();
  const events = { overflow: 0, errors: [] as unknown[] };
  const queue = new SendQueue(
    socket,
    limits,
    () => events.overflow++,
    (err) => events.errors.push(err),
  );
  return { socket, queue, events };
}

/** Lets queued microtasks and the fake socket's promises run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

Deno.test("frames queued in one turn leave in one write, in order", async () => {
  const { socket, queue } = setup();
  const frames = [frame(10, 1), frame(20, 2), frame(5, 3), frame(7, 4)];
  for (const [i, f] of frames.entries()) {
    assert.equal(queue.send(f, i % 2 ? "text" : "control"), true);
  }
  assert.equal(socket.writes.length, 0, "nothing written synchronously");
  assert.equal(queue.queuedBytes, 42);
  await queue.drain();
  assert.equal(socket.writes.length, 1);
  assert.deepEqual(socket.received, Uint8Array.from(frames.flatMap((f) => [...f])));
  assert.equal(queue.queuedBytes, 0);
});

Deno.test("partial writes are completed", async () => {
  const { socket, queue } = setup({ voiceBytes: 1000, maxBytes: 10_000 });
  socket.maxPerWrite = 3;
  const frames = [frame(10, 1), frame(1, 2), frame(17, 3)];
  for (const f of frames) queue.send(f, "text");
  await queue.drain();
  assert.deepEqual(socket.received, Uint8Array.from(frames.flatMap((f) => [...f])));
  assert.ok(socket.writes.every((w) => w.length <= 3));
  assert.equal(socket.writes.length, Math.ceil(28 / 3));
  assert.equal(queue.queuedBytes, 0);
});

Deno.test("frames sent while a write is in flight go out next, in order", async () => {
  const { socket, queue } = setup();
  socket.blocked = true;
  queue.send(frame(4, 1), "text");
  await settle();
  queue.send(frame(4, 2), "text");
  queue.send(frame(4, 3), "voice");
  assert.equal(queue.queuedBytes, 12);
  socket.release();
  await queue.drain();
  assert.deepEqual(socket.received, Uint8Array.from([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]));
  assert.equal(socket.writes.length, 2, "the second and third frames share a write");
});

Deno.test("a backed-up queue drops voice first while text still queues", async () => {
  const { socket, queue, events } = setup({ voiceBytes: 100, maxBytes: 1000 });
  socket.blocked = true;
  assert.equal(queue.send(frame(60, 1), "voice"), true);
  assert.equal(queue.send(frame(60, 2), "voice"), false, "past voiceBytes");
  assert.equal(queue.droppedVoice, 1);
  assert.equal(queue.send(frame(60, 3), "text"), true);
  assert.equal(queue.send(frame(60, 4), "control"), true);
  assert.equal(queue.send(frame(10, 5), "voice"), false);
  assert.equal(queue.droppedVoice, 2);
  assert.equal(queue.queuedBytes, 180);
  assert.equal(events.overflow, 0);
  socket.release();
  await queue.drain();
  assert.deepEqual(
    socket.received,
    Uint8Array.from([...frame(60, 1), ...frame(60, 3), ...frame(60, 4)]),
  );
  // Once caught up, voice flows again.
  assert.equal(queue.send(frame(60, 6), "voice"), true);
  await queue.drain();
  assert.equal(socket.received.length, 240);
});

Deno.test("overflow past maxBytes calls onOverflow once; later sends return false", async () => {
  const { socket, queue, events } = setup({ voiceBytes: 100, maxBytes: 1000 });
  socket.blocked = true;
  for (let i = 0; i < 10; i++) assert.equal(queue.send(frame(100, i), "text"), true);
  assert.equal(queue.queuedBytes, 1000);
  assert.equal(events.overflow, 0, "exactly at the limit is still fine");
  assert.equal(queue.send(frame(1, 99), "control"), false);
  assert.equal(events.overflow, 1);
  for (const p of ["text", "control", "voice"] as const) {
    assert.equal(queue.send(frame(1, 1), p), false);
  }
  assert.equal(events.overflow, 1, "called once only");
  assert.equal(queue.queuedBytes, 0, "queued frames are discarded");
  await queue.drain(); // resolves at once on a given-up queue
  socket.release();
  await settle();
  assert.equal(events.errors.length, 0);
});

Deno.test("drain resolves at once when empty, and after the bytes are written", async () => {
  const { socket, queue } = setup();
  await queue.drain();
  socket.blocked = true;
  queue.send(frame(8, 1), "text");
  let drained = false;
  const p = queue.drain().then(() => drained = true);
  await settle();
  assert.equal(drained, false, "not while the write waits");
  socket.release();
  await p;
  assert.equal(drained, true);
  assert.equal(socket.received.length, 8);
});

Deno.test("a failed write closes the queue and reports the error once", async () => {
  const { socket, queue, events } = setup();
  const boom = new Error("broken pipe");
  socket.failWith = boom;
  queue.send(frame(5, 1), "text");
  await queue.drain();
  await settle();
  assert.deepEqual(events.errors, [boom]);
  assert.equal(queue.send(frame(5, 2), "text"), false);
  assert.equal(events.overflow, 0);
});

Deno.test("a write that throws at once (a closed socket) is a failed write, not an uncaught error", async () => {
  const boom = new Error("bad resource");
  const thrower: ByteWriter = {
    write(): Promise<number> {
      throw boom;
    },
  };
  const errors: unknown[] = [];
  const queue = new SendQueue(thrower, { voiceBytes: 100, maxBytes: 1000 }, () => {}, (err) => {
    errors.push(err);
  });
  queue.send(frame(5, 1), "text");
  await queue.drain();
  await settle();
  assert.deepEqual(errors, [boom]);
  assert.equal(queue.queuedBytes, 0);
  assert.equal(queue.send(frame(5, 2), "text"), false);
});

Deno.test("close discards queued frames; the counters stay consistent", async () => {
  const { socket, queue } = setup();
  socket.blocked = true;
  queue.send(frame(30, 1), "text");
  await settle();
  queue.send(frame(30, 2), "text");
  const drained = queue.drain();
  queue.close();
  await drained;
  assert.equal(queue.send(frame(1, 3), "text"), false);
  socket.release();
  await settle();
  assert.equal(queue.queuedBytes, 0);
  assert.ok(socket.received.length <= 30, "nothing queued after close is written");
});

Deno.test("close during a partial write stops writing the rest of the batch", async () => {
  const { socket, queue } = setup();
  socket.maxPerWrite = 10;
  socket.blocked = true;
  queue.send(frame(30, 1), "text");
  await settle();
  queue.close();
  socket.release();
  await settle();
  assert.equal(socket.received.length, 10, "only the write already in flight");
  assert.equal(queue.queuedBytes, 0);
});

Deno.test("overflow during an in-flight write leaves the count at zero", async () => {
  const { socket, queue, events } = setup({ voiceBytes: 10, maxBytes: 100 });
  socket.blocked = true;
  queue.send(frame(60, 1), "text");
  await settle();
  assert.equal(queue.send(frame(60, 2), "text"), false);
  assert.equal(events.overflow, 1);
  socket.release();
  await settle();
  assert.equal(queue.queuedBytes, 0);
  assert.equal(events.overflow, 1);
  assert.equal(events.errors.length, 0);
});

/** A hold that takes every flush it is offered, for the test to run when it likes. */
function holdAll() {
  const held: (() => Promise<void> | undefined)[] = [];
  return { held, hold: (flush: () => Promise<void> | undefined) => (held.push(flush), true) };
}

function setupHeld() {
  const socket = new FakeSocket();
  const { held, hold } = holdAll();
  const queue = new SendQueue(
    socket,
    { voiceBytes: 100, maxBytes: 1000 },
    () => {},
    () => {},
    (flush) => queueMicrotask(flush),
    hold,
  );
  return { socket, queue, held };
}

Deno.test("a held text flush waits for its turn, then the texts share one write", async () => {
  const { socket, queue, held } = setupHeld();
  queue.send(frame(3, 1), "text");
  queue.send(frame(3, 2), "control");
  await settle();
  assert.equal(socket.writes.length, 0, "held");
  assert.equal(held.length, 1, "one flush offered per wait");
  held[0]();
  await queue.drain();
  assert.deepEqual(socket.received, Uint8Array.from([1, 1, 1, 2, 2, 2]));
  assert.equal(socket.writes.length, 1);
});

Deno.test("voice is never held, and flushes a queue whose texts are held", async () => {
  const { socket, queue, held } = setupHeld();
  queue.send(frame(2, 9), "voice");
  assert.equal(held.length, 0, "voice is not offered to the hold");
  await queue.drain();
  assert.deepEqual(socket.received, Uint8Array.from([9, 9]));
  queue.send(frame(2, 1), "text");
  assert.equal(held.length, 1);
  queue.send(frame(2, 2), "voice");
  await queue.drain();
  assert.deepEqual(socket.received, Uint8Array.from([9, 9, 1, 1, 2, 2]), "text then voice, now");
  // The held turn comes later and finds nothing to do: no second, empty write.
  const writes = socket.writes.length;
  held[0]();
  await settle();
  assert.equal(socket.writes.length, writes);
});

Deno.test("an urgent reply is never held, and takes held texts with it", async () => {
  const { socket, queue, held } = setupHeld();
  queue.send(frame(2, 1), "text");
  queue.send(frame(2, 2), "control", true);
  await queue.drain();
  assert.deepEqual(socket.received, Uint8Array.from([1, 1, 2, 2]));
  assert.equal(socket.writes.length, 1, "one write, at once");
  queue.send(frame(2, 3), "control", true);
  assert.equal(held.length, 1, "only the first text was offered to the hold");
  await queue.drain();
  assert.equal(socket.writes.length, 2);
});

/** A held queue whose turn came and whose write of [1, 1] has not ended yet. */
async function heldWriteUnderWay() {
  const { socket, queue, held } = setupHeld();
  queue.send(frame(2, 1), "text");
  socket.blocked = true;
  const written = held[0]();
  await settle();
  return { socket, queue, held, written };
}

Deno.test("texts that come while a held flush writes wait for the next turn, not a second write", async () => {
  const { socket, queue, held, written } = await heldWriteUnderWay();
  queue.send(frame(2, 2), "text");
  queue.send(frame(2, 3), "text");
  assert.equal(held.length, 1, "not offered again while the write is under way");
  socket.release();
  await written;
  assert.deepEqual(socket.received, Uint8Array.from([1, 1]), "one write in this turn");
  assert.equal(held.length, 2, "the rest waits for the next turn");
  held[1]();
  await queue.drain();
  assert.deepEqual(socket.received, Uint8Array.from([1, 1, 2, 2, 3, 3]));
  assert.equal(socket.writes.length, 2, "they share the next turn's write");
});

Deno.test("voice that comes while a held flush writes is written as soon as that write ends", async () => {
  const { socket, queue, held, written } = await heldWriteUnderWay();
  queue.send(frame(2, 2), "text");
  queue.send(frame(2, 9), "voice");
  socket.release();
  await written;
  await queue.drain();
  assert.deepEqual(
    socket.received,
    Uint8Array.from([1, 1, 2, 2, 9, 9]),
    "in order, without a turn",
  );
  assert.equal(held.length, 1, "nothing offered to the hold");
});

Deno.test("more than a batch's bytes leave in order over several writes", async () => {
  const { socket, queue } = setup({ voiceBytes: 100, maxBytes: 1024 * 1024 });
  const frames = [frame(30_000, 1), frame(30_000, 2), frame(30_000, 3), frame(10, 4)];
  for (const f of frames) queue.send(f, "text");
  await queue.drain();
  const all = new Uint8Array(90_010);
  frames.forEach((f, i) => all.set(f, i * 30_000));
  assert.deepEqual(socket.received, all);
  assert.equal(socket.writes.length, 2, "64 KiB at most a write: two frames, then the other two");
  assert.equal(queue.queuedBytes, 0);
});

Deno.test("queues holding the same frames write one shared buffer, and later frames a new one", async () => {
  const written: Uint8Array[] = [];
  const writer: ByteWriter = {
    write: (bytes) => (written.push(bytes), Promise.resolve(bytes.length)),
  };
  const limits = { voiceBytes: 100, maxBytes: 1000 };
  const queues = [0, 1, 2].map(() => new SendQueue(writer, limits, () => {}, () => {}));
  const shared = [frame(5, 1), frame(5, 2)];
  for (const q of queues) for (const f of shared) q.send(f, "text");
  await Promise.all(queues.map((q) => q.drain()));
  assert.equal(written.length, 3);
  assert.ok(written[1] === written[0] && written[2] === written[0], "one buffer for all three");
  assert.deepEqual(written[0], Uint8Array.from([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]));
  for (const f of [frame(5, 3), frame(5, 4)]) queues[0].send(f, "text");
  await queues[0].drain();
  assert.deepEqual(written[3], Uint8Array.from([3, 3, 3, 3, 3, 4, 4, 4, 4, 4]));
});

/** An epoll socket (lib/relay/epoll/) accepted from a Deno client: a writer that can send at once. */
async function epollPair() {
  const listener = EpollListener.open("127.0.0.1", 0);
  const accepted = listener[Symbol.asyncIterator]().next();
  const peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const conn = (await accepted).value as EpollConn;
  const queue = new SendQueue(conn, { voiceBytes: 100, maxBytes: 1000 }, () => {}, () => {});
  const done = () => {
    if (!conn.closed) conn.close();
    peer.close();
    listener.close();
  };
  return { conn, peer, queue, done };
}

/** Reads from `peer` until `total` bytes have come. */
async function readBytes(peer: Deno.Conn, total: number): Promise<Uint8Array> {
  const out = new Uint8Array(total);
  let got = 0;
  while (got < total) {
    const n = await peer.read(out.subarray(got));
    if (n === null) throw new Error(`ended after ${got} of ${total} bytes`);
    got += n;
  }
  return out;
}

Deno.test("epoll writer: voice to an idle queue is sent before send returns; queued frames keep their order", async () => {
  const { peer, queue, done } = await epollPair();
  try {
    assert.equal(queue.send(frame(30, 1), "voice"), true);
    assert.equal(queue.queuedBytes, 0, "sent at once, nothing queued");
    // A text queues; voice behind it waits its turn rather than overtaking it.
    assert.equal(queue.send(frame(20, 2), "text"), true);
    assert.equal(queue.send(frame(10, 3), "voice"), true);
    assert.equal(queue.queuedBytes, 30, "behind a queued frame, voice queues");
    await queue.drain();
    const got = await readBytes(peer, 60);
    assert.deepEqual(got, Uint8Array.from([...frame(30, 1), ...frame(20, 2), ...frame(10, 3)]));
  } finally {
    done();
  }
});

Deno.test("epoll writer: a reader that stops reading backs voice up into the queue, where its limit drops it", async () => {
  const { conn, peer, queue, done } = await epollPair();
  try {
    // Fill the kernel's buffers first (bounded: loopback buffers are MiBs).
    const chunk = new Uint8Array(1024 * 1024).fill(9);
    let filled = 0;
    for (let i = 0; i < 1000; i++) {
      const n = conn.trySend(chunk);
      if (n === 0) break;
      filled += n;
    }
    const voice = [frame(40, 1), frame(40, 2), frame(40, 3)];
    assert.equal(queue.send(voice[0], "voice"), true);
    assert.equal(queue.queuedBytes, 40, "no room: the frame waits in the queue");
    assert.equal(queue.send(voice[1], "voice"), true);
    assert.equal(queue.send(voice[2], "voice"), false, "past the voice limit: dropped");
    assert.equal(queue.droppedVoice, 1);
    // The reader drains: the queued frames follow the filler, in order and whole.
    const drained = queue.drain();
    const got = await readBytes(peer, filled + 80);
    await drained;
    assert.deepEqual(got.subarray(filled), Uint8Array.from([...voice[0], ...voice[1]]));
    assert.equal(queue.queuedBytes, 0);
  } finally {
    done();
  }
});

Deno.test("epoll writer: a send to a reset peer closes the queue and reports the error once, later", async () => {
  const listener = EpollListener.open("127.0.0.1", 0);
  const accepted = listener[Symbol.asyncIterator]().next();
  const peer = await connect("127.0.0.1", listener.addr.port);
  const conn = (await accepted).value as EpollConn;
  const errors: unknown[] = [];
  const queue = new SendQueue(conn, { voiceBytes: 100, maxBytes: 1000 }, () => {}, (err) => {
    errors.push(err);
  });
  try {
    const reading = conn.read(new Uint8Array(8));
    resetClose(peer);
    await assert.rejects(reading, Deno.errors.ConnectionReset);
    assert.equal(queue.send(frame(10, 1), "voice"), false, "the send failed and the queue closed");
    assert.equal(errors.length, 0, "told in a later microtask, not mid-send");
    await Promise.resolve();
    assert.equal(errors.length, 1);
    assert.equal(queue.send(frame(10, 2), "voice"), false, "a closed queue takes nothing");
    await Promise.resolve();
    assert.equal(errors.length, 1, "told once");
  } finally {
    conn.close();
    listener.close();
  }
});
