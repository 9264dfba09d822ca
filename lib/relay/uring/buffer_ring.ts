/**
 * A ring of provided buffers for io_uring's multishot receives: memory of its
 * own, mapped once, that the kernel fills as data comes and JavaScript hands
 * back after reading, so that no receive names a buffer of its own.
 *
 * @module
 */

import type { Ring } from "./ring.ts";
import { map } from "./sys.ts";

/**
 * Buffers the kernel picks from for multishot receives (a provided-buffer ring): `count`
 * buffers of `size` bytes, in memory of its own. A completion names the buffer it
 * filled; {@linkcode bytes} reads it and {@linkcode recycle} gives it back.
 */
export class BufferRing {
  /** The buffer group id receives name. */
  readonly group: number;
  /** Bytes per buffer. */
  readonly size: number;
  readonly #mask: number;
  readonly #entries: DataView;
  readonly #tailIndex: number;
  readonly #tail16: Uint16Array;
  readonly #data: Uint8Array;
  readonly #dataAddr: bigint;
  #tail = 0;

  /** Makes `count` (a power of two) buffers of `size` bytes and registers them with `ring`. */
  constructor(ring: Ring, group: number, count: number, size: number) {
    if (count & (count - 1)) throw new RangeError("a buffer ring's count is a power of two");
    this.group = group;
    this.size = size;
    this.#mask = count - 1;
    // Mapped for the thread's life: the ring and its buffers last as long as the loop.
    const len = count * 16 + count * size;
    const ptr = map(len, -1, 0n, "mmap (buffers)");
    const mem = Deno.UnsafePointerView.getArrayBuffer(ptr, len);
    this.#entries = new DataView(mem, 0, count * 16);
    // The ring's tail shares the first entry's last 16 bits (struct io_uring_buf_ring).
    this.#tail16 = new Uint16Array(mem, 0, count * 8);
    this.#tailIndex = 7;
    this.#data = new Uint8Array(mem, count * 16);
    const base = BigInt(Deno.UnsafePointer.value(ptr));
    this.#dataAddr = base + BigInt(count * 16);
    for (let bid = 0; bid < count; bid++) this.#put(bid);
    Atomics.store(this.#tail16, this.#tailIndex, this.#tail & 0xffff);
    ring.registerBufferRing(base, count, group);
  }

  #put(bid: number): void {
    const at = (this.#tail & this.#mask) * 16;
    this.#entries.setBigUint64(at, this.#dataAddr + BigInt(bid * this.size), true);
    this.#entries.setUint32(at + 8, this.size, true);
    this.#entries.setUint16(at + 12, bid, true);
    this.#tail = (this.#tail + 1) & 0xffff;
  }

  /** The first `len` bytes of buffer `bid` (a view: read it before recycling). */
  bytes(bid: number, len: number): Uint8Array {
    const at = bid * this.size;
    return this.#data.subarray(at, at + len);
  }

  /** Gives buffer `bid` back to the kernel. */
  recycle(bid: number): void {
    this.#put(bid);
    Atomics.store(this.#tail16, this.#tailIndex, this.#tail);
  }
}
