import assert from "node:assert/strict";
import {
  ACK_FORWARDED,
  ACK_RATE_LIMITED,
  decodeAck,
  decodeJson,
  decodeUtf8,
  encodeAck,
  encodeJson,
  encodeUtf8,
  type Hello,
  idStamp,
  MAX_NICK_BYTES,
  MAX_ROOM_BYTES,
  nameProblem,
  nickStamp,
  parseHello,
  PROTOCOL_VERSION,
  ProtocolError,
  splitIdStamp,
  splitNickStamp,
} from "../lib/protocol.ts";

const validHello: Hello = {
  v: PROTOCOL_VERSION,
  nick: "alice",
  room: "lobby",
  session: "0123456789abcdef0123456789abcdef",
  keyId: "fedcba9876543210",
};

function protocolError(code: string) {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}

function helloBytes(fields: Record<string, unknown>): Uint8Array {
  return encodeJson({ ...validHello, ...fields });
}

Deno.test("nameProblem accepts ordinary nicks, including non-ASCII letters", () => {
  for (const nick of ["alice", "bob_2", "Zo\u00EB", "\u540D\u524D", "a.b-c", "x", "Ñandú"]) {
    assert.equal(nameProblem("nick", nick, MAX_NICK_BYTES), null, nick);
  }
  assert.equal(nameProblem("nick", "a".repeat(MAX_NICK_BYTES), MAX_NICK_BYTES), null);
  assert.equal(nameProblem("room", "r".repeat(MAX_ROOM_BYTES), MAX_ROOM_BYTES), null);
});

Deno.test("nameProblem refuses empty, too long, spaces, controls, ESC, bidi and non-NFC", () => {
  const bad: [string, unknown][] = [
    ["empty", ""],
    ["not a string", 42],
    ["undefined", undefined],
    ["too long ASCII", "a".repeat(MAX_NICK_BYTES + 1)],
    // 11 characters but 33 bytes: the limit is in bytes.
    ["too long multibyte", "\u540D".repeat(11)],
    ["space", "alice bob"],
    ["leading space", " alice"],
    ["tab", "a\tb"],
    ["newline", "alice\n"],
    ["NUL", "a\u0000b"],
    ["ESC", "a\x1b[2Jb"],
    ["DEL", "a\x7fb"],
    ["C1 CSI", "a\u009bb"],
    ["RLO", "alice\u202Eevil"],
    ["LRI", "\u2066alice"],
    ["zero-width space", "al\u200Bice"],
    ["non-NFC (e + combining acute)", "Zoe\u0308"],
    ["colon", "a:b"],
    ["slash", "a/b"],
  ];
  for (const [label, name] of bad) {
    const problem = nameProblem("nick", name, MAX_NICK_BYTES);
    assert.equal(typeof problem, "string", label);
    assert.match(problem!, /^nick /, label);
  }
  assert.equal(nameProblem("nick", "\u540D".repeat(10), MAX_NICK_BYTES), null, "30 bytes is fine");
  assert.match(nameProblem("room", "", MAX_ROOM_BYTES)!, /^room is empty/);
});

Deno.test("parseHello accepts a valid hello", () => {
  assert.deepEqual(parseHello(encodeJson(validHello)), validHello);
});

Deno.test("parseHello refuses a bad version with code bad-version", () => {
  for (const v of [0, 2, "1", null, undefined]) {
    assert.throws(() => parseHello(helloBytes({ v })), protocolError("bad-version"), String(v));
  }
});

Deno.test("parseHello refuses bad JSON and non-objects with bad-frame", () => {
  for (const text of ["", "{", "not json", "[1,2]", "null", "42", '"hello"', "true"]) {
    assert.throws(() => parseHello(encodeUtf8(text)), protocolError("bad-frame"), text);
  }
  assert.throws(() => parseHello(Uint8Array.of(0x7b, 0xff, 0x7d)), protocolError("bad-frame"));
});

Deno.test("parseHello refuses bad names, sessions and key ids with bad-hello", () => {
  const bad: Record<string, unknown>[] = [
    { nick: "" },
    { nick: "a b" },
    { nick: "x\u202E" },
    { room: undefined },
    { room: "r".repeat(MAX_ROOM_BYTES + 1) },
    { session: undefined },
    { session: "0123" },
    { session: validHello.session.toUpperCase() },
    { session: validHello.session + "00" },
    { session: "g".repeat(32) },
    { session: 12345 },
    { keyId: undefined },
    { keyId: "fedcba987654321" },
    { keyId: "FEDCBA9876543210" },
    { keyId: "zz".repeat(8) },
  ];
  for (const fields of bad) {
    assert.throws(
      () => parseHello(helloBytes(fields)),
      protocolError("bad-hello"),
      JSON.stringify(fields),
    );
  }
  // Custom limits apply.
  assert.throws(
    () => parseHello(encodeJson(validHello), { maxNick: 3, maxRoom: 64 }),
    protocolError("bad-hello"),
  );
});

Deno.test("decodeJson returns objects and refuses anything else", () => {
  assert.deepEqual(decodeJson(encodeJson({ a: 1, b: ["x"] })), { a: 1, b: ["x"] });
  assert.throws(() => decodeJson(encodeUtf8("[]")), protocolError("bad-frame"));
});

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

Deno.test("decodeUtf8 is strict: invalid UTF-8 is a ProtocolError", () => {
  assert.equal(
    decodeUtf8(encodeUtf8("Zo\u00EB \u540D\u524D \u{1F389}")),
    "Zo\u00EB \u540D\u524D \u{1F389}",
  );
  const invalid = [
    Uint8Array.of(0xff),
    Uint8Array.of(0xc3), // truncated 2-byte sequence
    Uint8Array.of(0xc0, 0xaf), // overlong "/"
    Uint8Array.of(0xed, 0xa0, 0x80), // UTF-16 surrogate
    Uint8Array.of(0x61, 0x80, 0x62), // stray continuation byte
  ];
  for (const bytes of invalid) {
    assert.throws(() => decodeUtf8(bytes), protocolError("bad-frame"), String(bytes));
  }
});
