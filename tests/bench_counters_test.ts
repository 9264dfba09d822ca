/**
 * Unit tests of the load generator's cheap receivers (bench/counters.ts): frames
 * and lines are counted the same however the stream is split into reads, the
 * frames and lines a receiver must act on come out whole, and the sample of
 * receivers is spread over the room; a sample IRC receiver's line check. Pure
 * code over byte arrays; no sockets.
 *
 * @module
 */

import assert from "node:assert/strict";
import { findNewline, FrameCounter, LineCounter } from "../bench/counters.ts";
import { sampleIndices } from "../bench/sample.ts";
import { relayedLineOk } from "../bench/irc_driver.ts";
import { concatBytes, encodeFrame } from "../lib/framing.ts";
import { FrameType } from "../lib/protocol.ts";

const encoder = new TextEncoder();
// The padding bench/irc_driver.ts puts in every message (100-byte lines at ngircd).
const PAD_FOR_TEST = "x".repeat(100 - ":c0000!~b@127.0.0.1 PRIVMSG #bench :".length - 2 - 13);
const decoder = new TextDecoder();

/** Feeds `stream` cut at `cuts` (ascending offsets), each piece from inside a larger buffer. */
function feedSplit(
  counter: { feed(buf: Uint8Array, from: number, to: number): void },
  stream: Uint8Array,
  cuts: number[],
): void {
  let prev = 0;
  for (const cut of [...cuts, stream.length]) {
    // Each read lands at offset 3 of a buffer with stale bytes after it, as a reused read buffer has.
    const buf = new Uint8Array(cut - prev + 10).fill(0x0a);
    buf.set(stream.subarray(prev, cut), 3);
    counter.feed(buf, 3, 3 + cut - prev);
    prev = cut;
  }
}

const texts = [10, 95, 1, 300].map((n) => encodeFrame(FrameType.Text, new Uint8Array(n).fill(7)));
const ping = encodeFrame(FrameType.Ping, encoder.encode("p1"));
const welcome = encodeFrame(FrameType.Welcome, encoder.encode('{"room":"bench"}'));
const frameStream = concatBytes([welcome, texts[0], ping, texts[1], texts[2], texts[3], ping]);
const textBytes = texts.reduce((n, t) => n + t.length, 0);

Deno.test("FrameCounter: counts text frames and bytes at every single split point", () => {
  for (let cut = 0; cut <= frameStream.length; cut++) {
    const others: string[] = [];
    const c = new FrameCounter(
      FrameType.Text,
      (type, p) => others.push(`${type}:${decoder.decode(p)}`),
    );
    feedSplit(c, frameStream, [cut]);
    assert.equal(c.frames, 4, `cut at ${cut}`);
    assert.equal(c.bytes, textBytes, `cut at ${cut}`);
    assert.deepEqual(others, [
      `${FrameType.Welcome}:{"room":"bench"}`,
      `${FrameType.Ping}:p1`,
      `${FrameType.Ping}:p1`,
    ]);
  }
});

Deno.test("FrameCounter: a stream read one byte at a time, and in random pieces", () => {
  const bytewise = new FrameCounter(FrameType.Text, () => {});
  feedSplit(bytewise, frameStream, Array.from({ length: frameStream.length - 1 }, (_, i) => i + 1));
  assert.equal(bytewise.frames, 4);
  assert.equal(bytewise.bytes, textBytes);
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 50; round++) {
    const cuts = [
      ...new Set(Array.from({ length: 6 }, () => Math.floor(rand() * frameStream.length))),
    ]
      .sort((a, b) => a - b);
    const c = new FrameCounter(FrameType.Text, () => {});
    feedSplit(c, frameStream, cuts);
    assert.equal(c.frames, 4, `cuts ${cuts}`);
    assert.equal(c.bytes, textBytes);
  }
});

Deno.test("FrameCounter: a frame length of zero is refused", () => {
  const c = new FrameCounter(FrameType.Text, () => {});
  assert.throws(() => c.feed(new Uint8Array([0, 0, 0, 0, 9])), RangeError);
});

const relayed = (n: number) =>
  `:c0001!~b@127.0.0.1 PRIVMSG #bench :${"x".repeat(n)}~000100000001\r\n`;
const lineStream = encoder.encode(
  ":irc 001 c0002 :Welcome\r\n" + relayed(40) + "PING :tok1\r\n" + relayed(3) + relayed(70) +
    "PING :tok2\r\n",
);

Deno.test("LineCounter: counts relayed lines and bytes at every split point, hands PING on whole", () => {
  const expectBytes = relayed(40).length + relayed(3).length + relayed(70).length +
    ":irc 001 c0002 :Welcome\r\n".length;
  for (let cut = 0; cut <= lineStream.length; cut++) {
    const others: string[] = [];
    const c = new LineCounter((line) => others.push(decoder.decode(line)));
    feedSplit(c, lineStream, [cut]);
    assert.equal(c.lines, 4, `cut at ${cut}`);
    assert.equal(c.bytes, expectBytes, `cut at ${cut}`);
    assert.deepEqual(others, ["PING :tok1\r", "PING :tok2\r"], `cut at ${cut}`);
  }
});

Deno.test("LineCounter: byte by byte, and lines before counting starts go to the handler", () => {
  let joined = false;
  const others: string[] = [];
  const c = new LineCounter((line) => {
    const s = decoder.decode(line);
    others.push(s);
    if (s.startsWith(":irc 001")) joined = true;
  }, () => joined);
  feedSplit(c, lineStream, Array.from({ length: lineStream.length - 1 }, (_, i) => i + 1));
  assert.equal(c.lines, 3, "the 001 line came before counting and is not counted");
  assert.equal(others[0], ":irc 001 c0002 :Welcome\r");
  assert.deepEqual(others.slice(1), ["PING :tok1\r", "PING :tok2\r"]);
});

Deno.test("LineCounter: a line split right after its newline and one without an end yet", () => {
  const c = new LineCounter(() => {});
  const a = encoder.encode(relayed(5));
  c.feed(a);
  assert.equal(c.lines, 1);
  c.feed(encoder.encode(":c0002!~b@h PRIVMSG #bench :partial"));
  assert.equal(c.lines, 1, "an unterminated line is not counted yet");
  c.feed(encoder.encode("\r\n"));
  assert.equal(c.lines, 2);
});

Deno.test("sampleIndices: spread over the receivers, never a sender, capped by the room", () => {
  const s = sampleIndices(500, 10, 20);
  assert.equal(s.size, 20);
  for (const i of s) assert.ok(i >= 10 && i < 500, `index ${i}`);
  const sorted = [...s].sort((a, b) => a - b);
  assert.equal(sorted[0], 10);
  assert.ok(sorted[19] >= 450, "the sample reaches the end of the room");
  assert.equal(sampleIndices(6, 2, 20).size, 4, "no more than the receivers there are");
  assert.deepEqual([...sampleIndices(6, 2, 0)], []);
  assert.deepEqual([...sampleIndices(100, 0, 2)].sort((a, b) => a - b), [0, 50]);
});

Deno.test("relayedLineOk: a sample IRC receiver accepts the relayed line and nothing else", () => {
  const check = (line: string, sender: number) => {
    const buf = encoder.encode(line);
    return relayedLineOk(buf, 0, buf.length - 1, sender);
  };
  const head = `PRIVMSG #bench :${PAD_FOR_TEST}~0003`;
  assert.ok(check(`:c0003!~b@127.0.0.1 ${head}00000042\r\n`, 3), "ngircd's form");
  assert.ok(check(`:c0003!b@127.0.0.1 ${head}00000042\r\n`, 3), "InspIRCd's form (no ~)");
  assert.ok(!check(`:c0004!~b@127.0.0.1 ${head}00000042\r\n`, 3), "another sender's nick");
  assert.ok(!check(`:c0003!~b@127.0.0.1 ${head.replace("xx", "xy")}00000042\r\n`, 3), "padding");
  assert.ok(!check(`:c0003!~b@127.0.0.1 ${head}00000042\n`, 3), "no CR");
  assert.ok(!check(`:c0003!~b@127.0.0.1 NOTICE #bench :x~000300000042\r\n`, 3), "not the PRIVMSG");
});

Deno.test("findNewline: word-at-a-time search agrees with indexOf at every start and end", () => {
  let seed = 11;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const backing = new Uint8Array(68);
  for (let k = 0; k < backing.length; k++) backing[k] = rand() < 0.08 ? 0x0a : 0x20 + (k % 90);
  for (const offset of [0, 4, 1]) {
    const buf = backing.subarray(offset, offset + 60);
    const words = (buf.byteOffset & 3) === 0
      ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2)
      : null;
    for (let from = 0; from <= buf.length; from++) {
      for (let to = from; to <= buf.length; to++) {
        const e = buf.subarray(0, to).indexOf(0x0a, from);
        assert.equal(
          findNewline(buf, words, from, to),
          e < 0 ? to : e,
          `${offset}: ${from}..${to}`,
        );
      }
    }
  }
});
