// Per-listener voice tags (lib/e2e/voice_tag.ts): pure.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { voiceDigest, VoiceTagKey } from "../../lib/e2e/voice_tag.ts";

const unhex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));

Deno.test("voice tag: AES-256-CMAC of the digest's first block, as NIST SP 800-38B", () => {
  // SP 800-38B, appendix D.3, example 10: AES-256, one 16-byte block. The voice tag
  // is the first 4 bytes of the CMAC of the digest's first 16 bytes.
  const key = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  const block = unhex("6bc1bee22e409f96e93d7e117393172a");
  const digest = new Uint8Array(32);
  digest.set(block);
  digest.fill(0xee, 16); // the digest's second half is not used
  assert.deepEqual(new VoiceTagKey(key).tag(digest), unhex("28a7023f"));
});

Deno.test("voice tag: made from the SHA-256 of the sealed frame", () => {
  const key = new Uint8Array(randomBytes(32));
  const sealed = new Uint8Array(randomBytes(70));
  const digest = new Uint8Array(createHash("sha256").update(sealed).digest());
  assert.deepEqual(new Uint8Array(voiceDigest(sealed)), digest);
  const other = sealed.slice();
  other[0] ^= 1;
  assert.notDeepEqual(
    new VoiceTagKey(key).tag(voiceDigest(other)),
    new VoiceTagKey(key).tag(digest),
  );
});

Deno.test("voice tag: the same frame gets the same tag whatever was tagged before", () => {
  const k = new VoiceTagKey(new Uint8Array(randomBytes(32)));
  const digest = voiceDigest(new Uint8Array([1, 2, 3]));
  const first = k.tag(digest);
  for (let i = 0; i < 5; i++) k.tag(voiceDigest(randomBytes(60)));
  assert.deepEqual(k.tag(digest), first);
});

Deno.test("voice tag: a tag checks only for its key and its frame", () => {
  const raw = new Uint8Array(randomBytes(32));
  const sealed = new Uint8Array(randomBytes(70));
  const tag = new VoiceTagKey(raw).tag(voiceDigest(sealed));
  assert.equal(tag.length, 4);
  const k = new VoiceTagKey(raw);
  assert.ok(k.valid(voiceDigest(sealed), tag));
  assert.ok(!new VoiceTagKey(new Uint8Array(randomBytes(32))).valid(voiceDigest(sealed), tag));
  assert.ok(!k.valid(voiceDigest(sealed), tag.subarray(1)), "short tag");
  for (const i of [0, 10, sealed.length - 1]) {
    const other = sealed.slice();
    other[i] ^= 1;
    assert.ok(!k.valid(voiceDigest(other), tag), `frame with byte ${i} flipped`);
  }
  assert.throws(() => new VoiceTagKey(new Uint8Array(16)), RangeError);
});
