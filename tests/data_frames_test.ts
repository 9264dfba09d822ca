import assert from "node:assert/strict";
import {
  ACK_FORWARDED,
  ACK_RATE_LIMITED,
  decodeAck,
  encodeAck,
  idStamp,
  nickStamp,
  splitIdStamp,
  splitNickStamp,
} from "../lib/data_frames.ts";
import { encodeUtf8 } from "../lib/payload_codec.ts";
import { MAX_NICK_BYTES } from "../lib/protocol.ts";
import { protocolError } from "./support/protocol_errors.ts";

Deno.test("nickStamp / splitNickStamp round trip", () => {
  const sealed = Uint8Array.of(9, 8, 7, 6);
  for (const nick of ["alice", "\u540D\u524D", "Zo\u00EB", "a".repeat(MAX_NICK_BYTES)]) {
    const stamp = nickStamp(nick);
    assert.equal(stamp[0], encodeUtf8(nick).length);
    const payload = new Uint8Array(stamp.length + sealed.length);
    payload.set(stamp);
    payload.set(sealed, stamp.length);
    const split = splitNickStamp(payload);
    assert.equal(split.nick, nick);
    assert.deepEqual(split.sealed, sealed);
  }
  assert.deepEqual(splitNickStamp(nickStamp("bob")).sealed, new Uint8Array(0));
  assert.throws(() => splitNickStamp(new Uint8Array(0)), protocolError("bad-frame"));
  assert.throws(() => splitNickStamp(Uint8Array.of(5, 0x61, 0x62)), protocolError("bad-frame"));
  // A stamp that is not UTF-8.
  assert.throws(() => splitNickStamp(Uint8Array.of(1, 0xff, 1)), protocolError("bad-frame"));
});

Deno.test("idStamp / splitIdStamp round trip", () => {
  for (const id of [0, 1, 255, 256, 0x1234, 0xffff]) {
    const stamp = idStamp(id);
    assert.equal(stamp.length, 2);
    const payload = new Uint8Array([...stamp, 42, 43]);
    const split = splitIdStamp(payload);
    assert.equal(split.id, id);
    assert.deepEqual(split.sealed, Uint8Array.of(42, 43));
  }
  assert.deepEqual(idStamp(0x1234), Uint8Array.of(0x12, 0x34));
  assert.throws(() => splitIdStamp(Uint8Array.of(1)), protocolError("bad-frame"));
});

Deno.test("encodeAck / decodeAck round trip", () => {
  for (const [seq, status] of [[1, ACK_FORWARDED], [2, ACK_RATE_LIMITED], [0xffffffff, 0]]) {
    const ack = encodeAck(seq, status);
    assert.equal(ack.length, 5);
    assert.deepEqual(decodeAck(ack), { seq, status });
  }
  assert.deepEqual(encodeAck(0x01020304, 1), Uint8Array.of(1, 2, 3, 4, 1));
  // From a view inside a larger buffer.
  const big = Uint8Array.of(0xaa, 0, 0, 1, 0, ACK_RATE_LIMITED, 0xbb);
  assert.deepEqual(decodeAck(big.subarray(1, 6)), { seq: 256, status: ACK_RATE_LIMITED });
  assert.throws(() => decodeAck(new Uint8Array(4)), protocolError("bad-frame"));
  assert.throws(() => decodeAck(new Uint8Array(6)), protocolError("bad-frame"));
});
