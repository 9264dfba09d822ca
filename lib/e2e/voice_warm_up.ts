/**
 * Runs the voice cipher path once on throwaway keys: a message key from a chain
 * step, a sealed voice frame, a listener tag, and the receiving side's key lookup,
 * open and tag check. The first use of each compiles its code and sets up the
 * runtime's crypto bindings; measured on a listener, the first frame of a talk took
 * 10 ms to open (4 ms of it the first chain step) against 0.3–0.6 ms later, and the
 * frames behind it queued deeper at the start of every first talk (bench/analysis.md).
 * Done once per process, when voice is set up, so a talk's first frames open at
 * speed.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { openVoice, sealVoice, SESSION_BYTES, voiceAt } from "./envelope.ts";
import { ReceivingChain, SendingChain } from "./ratchet.ts";
import { voiceDigest, VoiceTagKey } from "./voice_tag.ts";

const FRAMES = 3;
const PACKET_BYTES = 80;
let warmedUp = false;

/**
 * Seals and opens a few voice frames with throwaway keys, checking the round
 * trip. Later calls do nothing. Throws if a frame does not come back as it went
 * in: the runtime's crypto is broken, and no voice could be opened either.
 */
export function warmUpVoiceCipher(): void {
  if (warmedUp) return;
  warmedUp = true;
  const sender = new SendingChain();
  const receiver = new ReceivingChain(sender.sharePoint(), FRAMES, FRAMES);
  const tags = new VoiceTagKey(new Uint8Array(randomBytes(32)));
  const session = new Uint8Array(randomBytes(SESSION_BYTES));
  const packet = new Uint8Array(randomBytes(PACKET_BYTES));
  for (let i = 0; i < FRAMES; i++) {
    const { epoch, index, mk } = sender.next();
    const sealed = sealVoice(mk, session, { epoch, index }, "warm-up", "warm-up", packet);
    const digest = voiceDigest(sealed);
    const tag = tags.tag(digest);
    const at = voiceAt(sealed);
    const found = receiver.find(at.index);
    const plain = typeof found === "string"
      ? undefined
      : openVoice(found.mk, session, at, "warm-up", "warm-up", sealed);
    if (!plain || !tags.valid(digest, tag) || !sameBytes(plain, packet)) {
      throw new Error("the voice cipher's self-check failed: a sealed frame did not open");
    }
    if (typeof found !== "string") found.commit();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
