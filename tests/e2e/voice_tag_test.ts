// Per-listener voice tags (lib/e2e/voice_tag.ts): pure.
import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
import { voiceDigest, VoiceTagKey } from "../../lib/e2e/voice_tag.ts";

/** CBC-MAC by the book: AES-256-CBC with a zero IV over the digest; the last block. */
function referenceTag(key: Uint8Array, digest: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-cbc", key, new Uint8Array(16));
  c.setAutoPadding(false);
  return new Uint8Array(c.update(digest)).subarray(16, 20);
}

Deno.test("voice tag: AES-256-CBC-MAC of the frame's SHA-256, first 4 bytes", () => {
  for (let i = 0; i < 20; i++) {
    const key = new Uint8Array(randomBytes(32));
    const digest = voiceDigest(randomBytes(40 + i));
    assert.deepEqual(new VoiceTagKey(key).tag(digest), referenceTag(key, digest));
  }
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
