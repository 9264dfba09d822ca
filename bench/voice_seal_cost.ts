/**
 * Time the voice envelope adds to each 20 ms frame on its way from talker to
 * listener, in process: the talker's seal (AES-256-GCM under the voice chain
 * plus one 4-byte HMAC-SHA256 tag per listener) and one listener's open and
 * tag check, against the per-session envelope clients used before sender keys
 * (bench/legacy_envelope.ts). Everything else on the path (capture, Opus,
 * relay, jitter buffer) is the same code either way, so the difference is the
 * latency the construction adds.
 *
 *   deno run -A bench/voice_seal_cost.ts [--frames 5000] [--listeners 1,2,10,50,255]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { deriveRoomKey, newSessionId, toHex } from "../lib/cipher.ts";
import { GroupSession } from "../lib/e2e/group.ts";
import { Identity } from "../lib/e2e/identity.ts";
import {
  type Member,
  splitListenerVoice,
  splitTaggedVoice,
  voiceForListener,
} from "../lib/protocol.ts";
import { Opener, Sealer } from "./legacy_envelope.ts";
import { tonePackets } from "./voice_peer.ts";

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: "5000" },
    listeners: { type: "string", default: "1,2,10,50,255" },
  },
});
const frames = Number(values.frames);
const key = await deriveRoomKey("bench passphrase", "seal-cost");
const packets = tonePackets(50);

function entry(g: GroupSession, id: number): Member {
  return { nick: g.nick, id, session: toHex(g.session), keyId: g.keyId, ...g.helloFields() };
}

/** Median of per-frame times over `frames` frames, µs, for `f`. */
function timeEach(f: (i: number) => void): number {
  for (let i = 0; i < 200; i++) f(i); // warm-up
  const t = new Float64Array(frames);
  for (let i = 0; i < frames; i++) {
    const t0 = performance.now();
    f(i);
    t[i] = performance.now() - t0;
  }
  t.sort();
  return t[frames >> 1] * 1000;
}

// Before: one GCM seal, one GCM open.
const sealer = new Sealer(key, "talker", newSessionId());
const opener = new Opener(key);
const sender = { nick: "talker", session: toHex(sealer.session), keyId: toHex(key.keyId) };
const oldSeal = timeEach((i) => sealer.sealVoice(packets[i % 50]));
const oldSealedFresh: Uint8Array[] = [];
const s2 = new Sealer(key, "talker", newSessionId());
for (let i = 0; i < frames + 200; i++) oldSealedFresh.push(s2.sealVoice(packets[i % 50]));
const s2sender = { ...sender, session: toHex(s2.session) };
let k = 0;
const oldOpen = timeEach(() => opener.openVoice(s2sender, oldSealedFresh[k++]));
console.log(
  `before (per-session key): seal ${oldSeal.toFixed(1)} µs, open ${oldOpen.toFixed(1)} µs`,
);

for (const n of values.listeners.split(",").map(Number)) {
  const talker = new GroupSession(key, "talker", Identity.generate(), newSessionId());
  const listeners = Array.from(
    { length: n },
    (_, i) => new GroupSession(key, `l${i}`, Identity.generate(), newSessionId()),
  );
  listeners.forEach((l, i) => talker.admit(entry(l, i + 2)));
  const first = listeners[0];
  const a = first.admit(entry(talker, 1));
  if (a.kind !== "ok") throw new Error("admission failed");
  first.takeShare(1, talker.shareFor(talker.peerByNick("l0")!)!.subarray(2));
  const tagged: Uint8Array[] = [];
  const seal = timeEach((i) => tagged.push(talker.sealVoice(packets[i % 50])));
  // The relay's cut for listener l0 (id 2), prepared outside the timing.
  const relayed = tagged.map((t) => {
    const frame = voiceForListener(1, t, splitTaggedVoice(t), 2);
    return splitListenerVoice(frame.subarray(5));
  });
  let j = 0;
  const open = timeEach(() => {
    const v = relayed[j++];
    if (!first.openVoice(v.id, v.tag, v.sealed)) throw new Error("did not open");
  });
  const added = seal + open - oldSeal - oldOpen;
  console.log(
    `sender keys, ${n} listener(s): seal+tags ${seal.toFixed(1)} µs, open+check ${
      open.toFixed(1)
    } µs; added per frame ${added.toFixed(1)} µs; talker upload +${
      ((1 + 6 * n) * 8 * 50 / 1000).toFixed(1)
    } kbit/s of tags`,
  );
}
