/**
 * The voice payload: a talker's sealed frame with one short tag per listener
 * (lib/e2e/voice_tag.ts), so each listener can tell the frame comes from the talker
 * and not from another member. The relay splits the talker's payload once and
 * hands each listener its own tag only, stamped with the talker's member id.
 *
 * @module
 */

import { FrameType } from "./frame_type.ts";
import { HEADER_SIZE, writeHeader } from "./framing.ts";
import { ProtocolError } from "./protocol_error.ts";

/** Bytes of one listener's tag on a voice frame. */
export const VOICE_PAIR_TAG_BYTES = 4;
const TAG_ENTRY = 2 + VOICE_PAIR_TAG_BYTES;

/**
 * Builds a talker's voice payload: `u8 n`, n × (`u16 member id`, 4-byte tag),
 * then the sealed frame. The relay hands each listener only its own tag.
 */
export function encodeTaggedVoice(tags: [number, Uint8Array][], sealed: Uint8Array): Uint8Array {
  if (tags.length > 255) throw new RangeError("at most 255 listener tags per frame");
  const out = new Uint8Array(1 + tags.length * TAG_ENTRY + sealed.length);
  out[0] = tags.length;
  tags.forEach(([id, tag], i) => {
    const at = 1 + i * TAG_ENTRY;
    out[at] = id >>> 8;
    out[at + 1] = id & 0xff;
    out.set(tag.subarray(0, VOICE_PAIR_TAG_BYTES), at + 2);
  });
  out.set(sealed, 1 + tags.length * TAG_ENTRY);
  return out;
}

/** A talker's voice payload, split: listener tags by member id, and the sealed frame. */
export interface TaggedVoice {
  /** Tag offsets in the payload by member id. */
  tags: Map<number, number>;
  /** The sealed frame. */
  sealed: Uint8Array;
}

/** Splits a talker's voice payload; a malformed one is a {@linkcode ProtocolError}. */
export function splitTaggedVoice(payload: Uint8Array): TaggedVoice {
  const n = payload[0] ?? 0;
  const end = 1 + n * TAG_ENTRY;
  if (payload.length < 1 || payload.length < end) {
    throw new ProtocolError("bad-frame", "voice frame is shorter than its listener tags");
  }
  const tags = new Map<number, number>();
  for (let at = 1; at < end; at += TAG_ENTRY) {
    tags.set((payload[at] << 8) | payload[at + 1], at + 2);
  }
  return { tags, sealed: payload.subarray(end) };
}

/** Bytes of one listener's relayed voice frame (header, talker id, tag, sealed frame). */
export function listenerVoiceSize(voice: TaggedVoice): number {
  return HEADER_SIZE + 2 + VOICE_PAIR_TAG_BYTES + voice.sealed.length;
}

/**
 * Writes one listener's relayed voice frame into `out` (of
 * {@linkcode listenerVoiceSize} bytes): the talker's member id, the tag at
 * payload offset `tagAt` (left as `out` holds it when null) and the sealed frame.
 */
export function writeListenerVoice(
  out: Uint8Array,
  fromId: number,
  payload: Uint8Array,
  voice: TaggedVoice,
  tagAt: number | null,
): Uint8Array {
  writeHeader(out, 0, FrameType.Voice, out.length - HEADER_SIZE);
  out[5] = fromId >>> 8;
  out[6] = fromId & 0xff;
  if (tagAt !== null) out.set(payload.subarray(tagAt, tagAt + VOICE_PAIR_TAG_BYTES), 7);
  out.set(voice.sealed, 7 + VOICE_PAIR_TAG_BYTES);
  return out;
}

/**
 * One listener's relayed voice frame: the talker's member id, the listener's
 * tag (zeros when the talker gave none) and the sealed frame.
 */
export function voiceForListener(
  fromId: number,
  payload: Uint8Array,
  voice: TaggedVoice,
  listenerId: number,
): Uint8Array {
  const out = new Uint8Array(listenerVoiceSize(voice));
  return writeListenerVoice(out, fromId, payload, voice, voice.tags.get(listenerId) ?? null);
}

/** The index of the tag entry at payload offset `tagAt` (as {@linkcode splitTaggedVoice} gives). */
export function tagEntryIndex(tagAt: number): number {
  return (tagAt - 3) / TAG_ENTRY;
}

/** Splits a relayed voice payload into the talker's id, this listener's tag and the sealed frame. */
export function splitListenerVoice(
  payload: Uint8Array,
): { id: number; tag: Uint8Array; sealed: Uint8Array } {
  if (payload.length < 2 + VOICE_PAIR_TAG_BYTES) {
    throw new ProtocolError("bad-frame", "relayed voice is shorter than its stamp and tag");
  }
  return {
    id: (payload[0] << 8) | payload[1],
    tag: payload.subarray(2, 2 + VOICE_PAIR_TAG_BYTES),
    sealed: payload.subarray(2 + VOICE_PAIR_TAG_BYTES),
  };
}
