/**
 * Small read buffers for idle connections, carved from shared slabs. Every
 * connection keeps a read pending for as long as it is open, and most of them
 * are idle, so most read buffers are small and live long. As separate
 * allocations each costs an ArrayBuffer object, a native backing store and the
 * allocator's overhead, and they scatter through the native heap between the
 * join burst's frames; as slots of a few 64 KiB slabs they cost a view each
 * (bench/memory.ts, 10,000 idle clients: 6.75–6.89 → 6.31–6.46 KiB each). A slot
 * goes back to the free list only once no read can still write into it.
 *
 * @module
 */

/** Bytes in one slot: a text or a voice frame fits; a hello takes two reads. */
export const SLOT_BYTES = 128;
const SLAB_BYTES = 64 * 1024;

/** A free list of equal slots over slabs that are made as needed and kept for reuse. */
export class ReadSlots {
  readonly #slotBytes: number;
  readonly #slabBytes: number;
  #free: Uint8Array[] = [];
  #slabs = 0;

  /** Slots of `slotBytes` from slabs of `slabBytes`. */
  constructor(slotBytes = SLOT_BYTES, slabBytes = SLAB_BYTES) {
    if (slabBytes % slotBytes !== 0) throw new RangeError("a slab must hold whole slots");
    this.#slotBytes = slotBytes;
    this.#slabBytes = slabBytes;
  }

  /** Slabs made so far. */
  get slabs(): number {
    return this.#slabs;
  }

  /** Slots free now. */
  get free(): number {
    return this.#free.length;
  }

  /** A slot no one else holds; its bytes are whatever the last holder left. */
  take(): Uint8Array {
    if (this.#free.length === 0) {
      const slab = new Uint8Array(this.#slabBytes);
      this.#slabs++;
      // Handed out from the front of the slab first (pop takes from the end).
      for (let at = this.#slabBytes - this.#slotBytes; at >= 0; at -= this.#slotBytes) {
        this.#free.push(slab.subarray(at, at + this.#slotBytes));
      }
    }
    return this.#free.pop()!;
  }

  /** Returns a slot from {@linkcode take}; the caller must not touch it afterwards. */
  give(slot: Uint8Array): void {
    this.#free.push(slot);
  }
}
