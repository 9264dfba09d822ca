/**
 * The copies of one talker's voice frame that the relay hands its listeners,
 * made with as few allocations as the layout allows. Every listener the talker
 * gave no tag gets the same frame (its tag field is zeros), so a room of a
 * thousand costs one buffer per frame instead of a thousand; the listeners with
 * a tag get views into one shared buffer, one slot per tag the talker sent.
 * Every frame is written by `writeListenerVoice` (lib/voice_payload.ts), as
 * `voiceForListener` is; frames are never written to once queued, so sharing
 * them is safe.
 *
 * @module
 */

import {
  listenerVoiceSize,
  splitTaggedVoice,
  tagEntryIndex,
  type TaggedVoice,
  writeListenerVoice,
} from "../protocol.ts";

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
    this.#size = listenerVoiceSize(this.#voice);
  }

  /** The frame for member `listenerId`: its own tag, or zeros when the talker gave it none. */
  for(listenerId: number): Uint8Array {
    const at = this.#voice.tags.get(listenerId);
    if (at === undefined) {
      return this.#untagged ??= this.#write(new Uint8Array(this.#size), null);
    }
    // One slot per tag entry, found from the tag's offset and sized by the entries,
    // not the map: a talker may repeat an id, and a listener asked twice reuses its slot.
    this.#slab ??= new Uint8Array(this.#size * this.#payload[0]);
    const slot = tagEntryIndex(at);
    return this.#write(this.#slab.subarray(slot * this.#size, (slot + 1) * this.#size), at);
  }

  #write(out: Uint8Array, tagAt: number | null): Uint8Array {
    return writeListenerVoice(out, this.#fromId, this.#payload, this.#voice, tagAt);
  }
}
