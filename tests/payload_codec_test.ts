import assert from "node:assert/strict";
import { decodeJson, decodeUtf8, encodeJson, encodeUtf8 } from "../lib/payload_codec.ts";
import { protocolError } from "./support/protocol_errors.ts";

Deno.test("decodeJson returns objects and refuses anything else", () => {
  assert.deepEqual(decodeJson(encodeJson({ a: 1, b: ["x"] })), { a: 1, b: ["x"] });
  assert.throws(() => decodeJson(encodeUtf8("[]")), protocolError("bad-frame"));
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
