import assert from "node:assert/strict";
import {
  encodeTaggedVoice,
  ProtocolError,
  splitTaggedVoice,
  voiceForListener,
} from "../../lib/protocol.ts";
import { ListenerVoice } from "../../lib/relay/listener_voice.ts";

/** A sealed frame of `n` bytes with a pattern, so a misplaced copy would show. */
function sealed(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

function tag(id: number): Uint8Array {
  return new Uint8Array([id, id >> 8, 0xa5, 0x5a]);
}

/** Every listener's frame as the relay built it before (one new buffer each). */
function before(fromId: number, payload: Uint8Array, listener: number): Uint8Array {
  return voiceForListener(fromId, payload, splitTaggedVoice(payload), listener);
}

Deno.test("listener voice: tagged and untagged frames are byte for byte the per-listener build", () => {
  const ids = [2, 3, 700, 0x1234];
  const payload = encodeTaggedVoice(ids.map((id) => [id, tag(id)]), sealed(74));
  const voice = new ListenerVoice(0x0102, payload);
  // Untagged listeners asked before, between and after tagged ones.
  for (const listener of [9, 2, 10, 700, 3, 11, 0x1234, 12]) {
    assert.deepEqual(
      voice.for(listener),
      before(0x0102, payload, listener),
      `listener ${listener}`,
    );
  }
});

Deno.test("listener voice: untagged listeners share one frame; tagged ones get their own slots", () => {
  const payload = encodeTaggedVoice([[2, tag(2)], [3, tag(3)]], sealed(60));
  const voice = new ListenerVoice(1, payload);
  const [a, b, t2, t3] = [voice.for(5), voice.for(6), voice.for(2), voice.for(3)];
  assert.equal(a, b, "one buffer for every untagged listener");
  assert.ok(a.subarray(7, 11).every((x) => x === 0), "zeros where the tag would be");
  assert.equal(t2.buffer, t3.buffer, "tagged frames share one slab");
  assert.notEqual(t2.byteOffset, t3.byteOffset);
  assert.deepEqual(voice.for(2), t2, "asking again gives the same bytes");
  assert.deepEqual(t3, before(1, payload, 3));
});

Deno.test("listener voice: no tags, a repeated id, and the most tags a frame can carry", () => {
  const none = encodeTaggedVoice([], sealed(40));
  assert.deepEqual(new ListenerVoice(7, none).for(2), before(7, none, 2));
  // A talker that repeats an id: the last tag counts, as in the per-listener build.
  const repeated = encodeTaggedVoice([[4, tag(1)], [5, tag(5)], [4, tag(4)]], sealed(30));
  const r = new ListenerVoice(7, repeated);
  for (const id of [4, 5, 6]) assert.deepEqual(r.for(id), before(7, repeated, id));
  const ids = Array.from({ length: 255 }, (_, i) => i + 2);
  const full = encodeTaggedVoice(ids.map((id) => [id, tag(id)]), sealed(90));
  const f = new ListenerVoice(1, full);
  for (const id of [...ids, 300]) assert.deepEqual(f.for(id), before(1, full, id));
});

Deno.test("listener voice: a payload shorter than its tags is a protocol error, as before", () => {
  const payload = encodeTaggedVoice([[2, tag(2)], [3, tag(3)]], sealed(10)).subarray(0, 9);
  assert.throws(() => new ListenerVoice(1, payload), ProtocolError);
  assert.throws(() => splitTaggedVoice(payload), ProtocolError);
});
