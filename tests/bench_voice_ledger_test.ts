/**
 * Unit tests of the voice fan-out's per-listener check (bench/voice_ledger.ts):
 * a frame the relay hands a listener passes only when it is byte for byte what
 * the talker sent for that counter, with the talker's member id and the tag the
 * talker made for that listener. Frames are sealed by the real GroupSession and
 * cut for each listener by the relay's own `voiceForListener`; no sockets.
 *
 * @module
 */

import assert from "node:assert/strict";
import { voiceCounter, VoiceLedger } from "../bench/voice_ledger.ts";
import { deriveRoomKey } from "../lib/cipher.ts";
import { GroupSession } from "../lib/e2e/group.ts";
import { Identity } from "../lib/e2e/identity.ts";
import { encodeTaggedVoice, splitTaggedVoice, voiceForListener } from "../lib/protocol.ts";

const TALKER = 7;
const key = await deriveRoomKey("ledger test passphrase", "voice");
const group = new GroupSession(key, "talker", Identity.generate(), new Uint8Array(16).fill(1));

/** A real sealed frame, re-tagged for listeners 3 and 4 (listener 5 gets no tag). */
function frame(): Uint8Array {
  const { sealed } = splitTaggedVoice(group.sealVoice(new Uint8Array(60).fill(9)));
  return encodeTaggedVoice([
    [3, new Uint8Array([1, 2, 3, 4])],
    [4, new Uint8Array([5, 6, 7, 8])],
  ], sealed.slice());
}

/** The listener's payload as the relay frames it (type byte and length stripped). */
function relayed(payload: Uint8Array, listener: number): Uint8Array {
  return voiceForListener(TALKER, payload, splitTaggedVoice(payload), listener).subarray(5);
}

Deno.test("VoiceLedger: every listener's copy of every frame checks, tagged or not", () => {
  const ledger = new VoiceLedger();
  ledger.talkerId = TALKER;
  const sent = [frame(), frame(), frame()];
  for (const p of sent) ledger.record(p);
  assert.equal(ledger.frames, 3);
  const counters = sent.map((p) => voiceCounter(relayed(p, 3), 6));
  assert.equal(new Set(counters).size, 3, "each frame has its own counter");
  for (const p of sent) {
    for (const listener of [3, 4, 5]) assert.ok(ledger.check(listener, relayed(p, listener)));
  }
  // Checked where it lies inside a larger read buffer.
  const buf = new Uint8Array(200);
  const r = relayed(sent[1], 4);
  buf.set(r, 17);
  assert.ok(ledger.check(4, buf, 17, 17 + r.length));
});

Deno.test("VoiceLedger: a changed byte, another's tag, a wrong talker or an unsent frame fails", () => {
  const ledger = new VoiceLedger();
  ledger.talkerId = TALKER;
  const p = frame();
  ledger.record(p);
  const good = relayed(p, 3);
  for (const at of [0, 2, 6, 6 + 2, good.length - 1]) {
    const bad = good.slice();
    bad[at] ^= 1;
    assert.ok(!ledger.check(3, bad), `byte ${at} changed`);
  }
  assert.ok(!ledger.check(4, good), "listener 3's tag handed to listener 4");
  assert.ok(!ledger.check(5, good), "a tag where the talker made none");
  assert.ok(!ledger.check(3, good.subarray(0, good.length - 1)), "cut short");
  assert.ok(!ledger.check(3, relayed(frame(), 3)), "a frame the talker never noted");
  ledger.talkerId = TALKER + 1;
  assert.ok(!ledger.check(3, good), "stamped with another member's id");
});
