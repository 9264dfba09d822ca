/**
 * The copies of one talker's voice frame that the relay hands its listeners,
 * made with as few allocations as the layout allows. Every listener the talker
 * gave no tag gets the same frame (its tag field is zeros), so a room of a
 * thousand costs one buffer per frame instead of a thousand; the listeners with
 * a tag get views into one shared buffer, one slot per tag the talker sent. Each
 * frame is byte for byte what `voiceForListener` (lib/protocol.ts) builds: frames are
 * never written to once queued, so sharing them is safe.
 *
 * @module
 */

import {
  FrameType,
  splitTaggedVoice,
  type TaggedVoice,
  VOICE_PAIR_TAG_BYTES,
} from "../protocol.ts";

const HEAD = 5 + 2;
const TAG_ENTRY = 2 + VOICE_PAIR_TAG_BYTES;

/** One talker frame's relayed copies, built on first request. */
export class ListenerVoice {
  readonly #fromId: number;
  readonly #payload: Uint8Array;
  readonly #voice: TaggedVoice;
  readonly #size: number;
  #untagged: Uint8Array | null = null;
  #slab: Uint8Array | null = null;

  /** Splits the talker's payload (listener tags, then the sealed frame); throws as {@linkcode splitTaggedVoice}. */
  constructor(fromId: number, payload: Uint8Array) {
    this.#fromId = fromId;
    this.#payload = payload;
    this.#voice = splitTaggedVoice(payload);
    this.#size = HEAD + VOICE_PAIR_TAG_BYTES + this.#voice.sealed.length;
  }

  /** The frame for member `listenerId`: its own tag, or zeros when the talker gave it none. */
  for(listenerId: number): Uint8Array {
    const at = this.#voice.tags.get(listenerId);
    if (at === undefined) return this.#untagged ??= this.#fill(new Uint8Array(this.#size));
    // A slot per tag entry, found from the tag's offset: no counter to go wrong
    // if a listener were asked for twice.
    // Sized by the tag entries, not the map: a talker may repeat an id.
    this.#slab ??= new Uint8Array(this.#size * this.#payload[0]);
    const slot = (at - 3) / TAG_ENTRY;
    const out = this.#fill(this.#slab.subarray(slot * this.#size, (slot + 1) * this.#size));
    out.set(this.#payload.subarray(at, at + VOICE_PAIR_TAG_BYTES), HEAD);
    return out;
  }

  /** Writes the header and the sealed frame; the tag field stays as it is. */
  #fill(out: Uint8Array): Uint8Array {
    const length = this.#size - 4;
    out[0] = length >>> 24;
    out[1] = (length >>> 16) & 0xff;
    out[2] = (length >>> 8) & 0xff;
    out[3] = length & 0xff;
    out[4] = FrameType.Voice;
    out[5] = this.#fromId >>> 8;
    out[6] = this.#fromId & 0xff;
    out.set(this.#voice.sealed, HEAD + VOICE_PAIR_TAG_BYTES);
    return out;
  }
}
