import assert from "node:assert/strict";
import {
  concatBytes,
  DEFAULT_MAX_FRAME,
  encodeFrame,
  encodeFrameParts,
  type Frame,
  FrameDecoder,
  FrameTooLargeError,
  HEADER_SIZE,
  MalformedFrameError,
} from "../lib/framing.ts";

/** mulberry32: a small seeded PRNG, so a failing split can be reproduced from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

interface Expected {
  type: number;
  payload: Uint8Array;
}

/** Many frames of random types and sizes; sizes include 0 and the 1-/2-byte length boundaries. */
function randomFrames(rand: () => number, count: number): Expected[] {
  const special = [0, 1, 2, 254, 255, 256, 257, 1023, 1024, 2000];
  const frames: Expected[] = [];
  for (let i = 0; i < count; i++) {
    const size = i < special.length ? special[i] : randInt(rand, 0, 2000);
    const payload = new Uint8Array(size);
    for (let j = 0; j < size; j++) payload[j] = randInt(rand, 0, 255);
    frames.push({ type: randInt(rand, 0, 255), payload });
  }
  // Shuffle so the special sizes sit between random ones.
  for (let i = frames.length - 1; i > 0; i--) {
    const j = randInt(rand, 0, i);
    [frames[i], frames[j]] = [frames[j], frames[i]];
  }
  return frames;
}

function decodeWithSplits(stream: Uint8Array, cuts: number[]): Frame[] {
  const decoder = new FrameDecoder();
  const out: Frame[] = [];
  let prev = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...decoder.push(stream.subarray(prev, cut)));
    prev = cut;
  }
  assert.equal(decoder.pending, 0, "nothing left over after the whole stream");
  return out;
}

function assertFrames(actual: Frame[], expected: Expected[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: frame count`);
  for (let i = 0; i < expected.length; i++) {
    assert.equal(actual[i].type, expected[i].type, `${label}: type of frame ${i}`);
    assert.deepEqual(actual[i].payload, expected[i].payload, `${label}: payload of frame ${i}`);
  }
}

Deno.test("encodeFrame: 4-byte big-endian length of type+payload, type byte, payload", () => {
  const f = encodeFrame(0x10, Uint8Array.of(7, 8, 9));
  assert.deepEqual(f, Uint8Array.of(0, 0, 0, 4, 0x10, 7, 8, 9));
  assert.deepEqual(encodeFrame(0x17), Uint8Array.of(0, 0, 0, 1, 0x17));
  const big = encodeFrame(1, new Uint8Array(0x012345));
  assert.deepEqual(big.subarray(0, HEADER_SIZE), Uint8Array.of(0, 0x01, 0x23, 0x46, 1));
});

Deno.test("property: any split of a random stream yields the same frames (seeded)", () => {
  const SEED = 0xa11ce;
  const rand = prng(SEED);
  const expected = randomFrames(rand, 120);
  const stream = concatBytes(expected.map((f) => encodeFrame(f.type, f.payload)));

  // All in one chunk.
  assertFrames(decodeWithSplits(stream, []), expected, "one chunk");

  // One byte at a time.
  const oneByOne = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
  assertFrames(decodeWithSplits(stream, oneByOne), expected, "1 byte at a time");

  // Cut at every frame boundary, and at every boundary ± 1 (splits inside headers).
  const boundaries: number[] = [];
  let at = 0;
  for (const f of expected) {
    at += HEADER_SIZE + f.payload.length;
    boundaries.push(at);
  }
  boundaries.pop();
  assertFrames(decodeWithSplits(stream, boundaries), expected, "frame boundaries");
  for (const delta of [-4, -3, -2, -1, 1, 2, 3, 4]) {
    const cuts = [...new Set(boundaries.map((b) => b + delta))]
      .filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b);
    assertFrames(decodeWithSplits(stream, cuts), expected, `boundaries ${delta}`);
  }

  // Random splits: 250 runs, chunk sizes drawn from several scales.
  for (let run = 0; run < 250; run++) {
    const scale = [3, 17, 300, 5000][run % 4];
    const cuts: number[] = [];
    let pos = 0;
    for (;;) {
      pos += randInt(rand, 1, scale);
      if (pos >= stream.length) break;
      cuts.push(pos);
    }
    assertFrames(
      decodeWithSplits(stream, cuts),
      expected,
      `seed ${SEED.toString(16)} run ${run} (scale ${scale})`,
    );
  }
});

Deno.test("oversize: a header declaring maxFrame+1 throws before the body arrives", () => {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, DEFAULT_MAX_FRAME + 1);
  const decoder = new FrameDecoder();
  let thrown: unknown;
  try {
    decoder.push(header);
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof FrameTooLargeError, "FrameTooLargeError on the 4 length bytes");
  assert.equal(thrown.declared, DEFAULT_MAX_FRAME + 1);
  assert.equal(thrown.limit, DEFAULT_MAX_FRAME);
  assert.ok(decoder.pending <= 8, `decoder holds ${decoder.pending} bytes`);

  // Exactly maxFrame is still accepted.
  const ok = new FrameDecoder();
  const frames = ok.push(encodeFrame(9, new Uint8Array(DEFAULT_MAX_FRAME - 1)));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].payload.length, DEFAULT_MAX_FRAME - 1);
});

Deno.test("oversize: also when the length arrives split and after a good frame", () => {
  const decoder = new FrameDecoder(100);
  assert.equal(decoder.push(encodeFrame(1, Uint8Array.of(1, 2))).length, 1);
  decoder.push(Uint8Array.of(0xff, 0xff));
  assert.equal(decoder.pending, 2);
  assert.throws(() => decoder.push(Uint8Array.of(0xff, 0xff)), FrameTooLargeError);
  assert.ok(decoder.pending <= 8, `decoder holds ${decoder.pending} bytes`);

  // A declared 4 GiB frame with a custom limit.
  const small = new FrameDecoder(100);
  assert.throws(
    () => small.push(Uint8Array.of(0, 0, 0, 101, 1)),
    (err: unknown) =>
      err instanceof FrameTooLargeError && err.declared === 101 && err.limit === 100,
  );
});

Deno.test("a length of 0 is a MalformedFrameError", () => {
  assert.throws(() => new FrameDecoder().push(Uint8Array.of(0, 0, 0, 0)), MalformedFrameError);
  // Also after a valid frame in the same chunk.
  const chunk = concatBytes([encodeFrame(2, Uint8Array.of(5)), Uint8Array.of(0, 0, 0, 0, 7)]);
  assert.throws(() => new FrameDecoder().push(chunk), MalformedFrameError);
});

Deno.test("truncated frame yields nothing and stays pending until completed", () => {
  const frame = encodeFrame(0x12, Uint8Array.from({ length: 50 }, (_, i) => i));
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(frame.subarray(0, 3)), []);
  assert.equal(decoder.pending, 3);
  assert.deepEqual(decoder.push(frame.subarray(3, 30)), []);
  assert.equal(decoder.pending, 30);
  assert.deepEqual(decoder.push(frame.subarray(30, 54)), []);
  assert.equal(decoder.pending, 54);
  const out = decoder.push(frame.subarray(54));
  assert.equal(out.length, 1);
  assert.equal(out[0].type, 0x12);
  assert.deepEqual(out[0].payload, frame.subarray(HEADER_SIZE));
  assert.equal(decoder.pending, 0);
});

Deno.test("encodeFrameParts equals encodeFrame of the joined payload", () => {
  const rand = prng(7);
  for (const [a, b] of [[0, 0], [0, 5], [5, 0], [1, 300], [33, 1500]]) {
    const prefix = Uint8Array.from({ length: a }, () => randInt(rand, 0, 255));
    const body = Uint8Array.from({ length: b }, () => randInt(rand, 0, 255));
    assert.deepEqual(
      encodeFrameParts(0x10, prefix, body),
      encodeFrame(0x10, concatBytes([prefix, body])),
      `prefix ${a}, body ${b}`,
    );
  }
});

Deno.test("payload views stay valid after later pushes reuse the buffers", () => {
  const rand = prng(99);
  const expected = randomFrames(rand, 60);
  const stream = concatBytes(expected.map((f) => encodeFrame(f.type, f.payload)));
  // Keep the input chunk and overwrite it after each push, as a read loop reusing
  // one read buffer would; also the decoder's own buffer is reused internally.
  const decoder = new FrameDecoder();
  const readBuf = new Uint8Array(37);
  const got: Frame[] = [];
  for (let pos = 0; pos < stream.length; pos += readBuf.length) {
    const n = Math.min(readBuf.length, stream.length - pos);
    readBuf.set(stream.subarray(pos, pos + n));
    got.push(...decoder.push(readBuf.subarray(0, n)));
    readBuf.fill(0xee);
  }
  assertFrames(got, expected, "after reuse");

  // Whole frames straight from a chunk (the fast path) must not alias the chunk either.
  const chunk = concatBytes([
    encodeFrame(1, Uint8Array.of(1, 2, 3)),
    encodeFrame(2, Uint8Array.of(4)),
  ]);
  const frames = new FrameDecoder().push(chunk);
  chunk.fill(0);
  assert.deepEqual(frames[0].payload, Uint8Array.of(1, 2, 3));
  assert.deepEqual(frames[1].payload, Uint8Array.of(4));
});
