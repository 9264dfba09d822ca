import assert from "node:assert/strict";
import {
  encodeJson,
  encodeUtf8,
  type Hello,
  MAX_NICK_BYTES,
  MAX_ROOM_BYTES,
  nameProblem,
  parseHello,
  PROTOCOL_VERSION,
} from "../lib/protocol.ts";
import { protocolError } from "./support/protocol_errors.ts";

const validHello: Hello = {
  v: PROTOCOL_VERSION,
  nick: "alice",
  room: "lobby",
  session: "0123456789abcdef0123456789abcdef",
  keyId: "fedcba9876543210",
};

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
