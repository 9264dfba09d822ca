import assert from "node:assert/strict";
import {
  encodeTaggedVoice,
  splitListenerVoice,
  splitTaggedVoice,
  VOICE_PAIR_TAG_BYTES,
  voiceForListener,
} from "../lib/voice_payload.ts";
import { FrameType } from "../lib/frame_type.ts";
import { FrameDecoder } from "../lib/framing.ts";
import { protocolError } from "./support/protocol_errors.ts";

const sealed = Uint8Array.of(1, 2, 3, 4, 5);
const tagOf = (id: number) => Uint8Array.of(id, id, id, id);

Deno.test("tagged voice: each listener gets its own tag, the talker's id and the sealed frame", () => {
  const payload = encodeTaggedVoice([[7, tagOf(7)], [0x1234, tagOf(9)]], sealed);
  assert.equal(payload.length, 1 + 2 * (2 + VOICE_PAIR_TAG_BYTES) + sealed.length);
  const voice = splitTaggedVoice(payload);
  assert.deepEqual([...voice.tags.keys()], [7, 0x1234]);
  assert.deepEqual(voice.sealed, sealed);
  const frame = voiceForListener(0x0102, payload, voice, 0x1234);
  const [decoded] = new FrameDecoder().push(frame);
  assert.equal(decoded.type, FrameType.Voice);
  assert.deepEqual(splitListenerVoice(decoded.payload), {
    id: 0x0102,
    tag: tagOf(9),
    sealed,
  });
});

Deno.test("tagged voice: a listener without a tag gets zeros; short payloads are bad frames", () => {
  const payload = encodeTaggedVoice([[7, tagOf(7)]], sealed);
  const frame = voiceForListener(3, payload, splitTaggedVoice(payload), 8);
  const { tag } = splitListenerVoice(frame.subarray(5));
  assert.deepEqual(tag, new Uint8Array(VOICE_PAIR_TAG_BYTES));
  assert.throws(() => splitTaggedVoice(new Uint8Array(0)), protocolError("bad-frame"));
  assert.throws(() => splitTaggedVoice(Uint8Array.of(2, 0, 7)), protocolError("bad-frame"));
  assert.throws(() => splitListenerVoice(Uint8Array.of(0, 7, 1)), protocolError("bad-frame"));
  const tooMany = Array.from({ length: 256 }, (_, i) => [i, tagOf(1)] as [number, Uint8Array]);
  assert.throws(() => encodeTaggedVoice(tooMany, sealed), RangeError);
});
