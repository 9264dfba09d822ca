/**
 * Every listener's check in the voice fan-out benchmark: the talker notes each
 * voice payload it sends (sealed frame plus its listener tags), and a listener
 * checks that what the relay gave it for that counter is exactly that: the
 * talker's member id, the tag the talker made for this listener (zeros when it
 * made none), and the sealed bytes, bit for bit. A byte compare costs far less
 * than opening the frame, so every (frame, listener) pair is verified while
 * the generator stays off the critical path; a few listeners also open and
 * authenticate every frame with their own end-to-end keys (voice_peer.ts).
 *
 * @module
 */

import { splitTaggedVoice, VOICE_PAIR_TAG_BYTES } from "../lib/protocol.ts";

/** Where the counter sits in a sealed voice frame: after the 2-byte epoch. */
const COUNTER_AT = 2;
const HEAD = 2 + VOICE_PAIR_TAG_BYTES; // member id, tag: before the sealed frame

/** A sent frame as the talker wrote it. */
interface Sent {
  /** The talker's payload: tags, then the sealed frame. */
  payload: Uint8Array;
  /** Tag offsets in the payload by listener member id. */
  tags: Map<number, number>;
  /** Where the sealed frame starts in the payload. */
  sealedAt: number;
}

/** The 32-bit counter of a sealed voice frame starting at `at` in `buf`. */
export function voiceCounter(buf: Uint8Array, at: number): number {
  const c = at + COUNTER_AT;
  return ((buf[c] << 24) | (buf[c + 1] << 16) | (buf[c + 2] << 8) | buf[c + 3]) >>> 0;
}

/** The talker's sent frames by counter, and the check every listener runs against them. */
export class VoiceLedger {
  readonly #sent = new Map<number, Sent>();
  /** The talker's member id, as the relay stamps it on every frame. */
  talkerId = -1;

  /** Notes a voice payload the talker is about to send (tags + sealed frame). */
  record(payload: Uint8Array): void {
    const { tags, sealed } = splitTaggedVoice(payload);
    const sealedAt = sealed.byteOffset - payload.byteOffset;
    this.#sent.set(voiceCounter(payload, sealedAt), { payload, tags, sealedAt });
  }

  /** Frames noted. */
  get frames(): number {
    return this.#sent.size;
  }

  /**
   * Whether `relayed[from, to)`, a voice frame's payload as the relay sent it to
   * listener `listenerId` (member id, tag, sealed frame), is exactly a frame the
   * talker sent, addressed to that listener.
   */
  check(listenerId: number, relayed: Uint8Array, from = 0, to = relayed.length): boolean {
    if (to - from < HEAD + COUNTER_AT + 4) return false;
    const sent = this.#sent.get(voiceCounter(relayed, from + HEAD));
    if (!sent) return false;
    if (((relayed[from] << 8) | relayed[from + 1]) !== this.talkerId) return false;
    const p = sent.payload;
    const tagAt = sent.tags.get(listenerId);
    for (let i = 0; i < VOICE_PAIR_TAG_BYTES; i++) {
      if (relayed[from + 2 + i] !== (tagAt === undefined ? 0 : p[tagAt + i])) return false;
    }
    const length = p.length - sent.sealedAt;
    if (to - from - HEAD !== length) return false;
    for (let i = 0, a = from + HEAD, b = sent.sealedAt; i < length; i++) {
      if (relayed[a + i] !== p[b + i]) return false;
    }
    return true;
  }
}
