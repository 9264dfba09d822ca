/**
 * A connection's bounded outgoing queue. Frames sent in the same turn of the
 * event loop leave in one write, which is what lets one relay fan a message out
 * to thousands of sockets. A reader that falls behind loses voice first (late
 * voice is useless); when even text and control frames pass the byte limit the
 * connection is given up as a slow consumer, so it can never hold up anyone else.
 *
 * @module
 */

import { concatBytes } from "./framing.ts";

/** How a frame is treated when the queue is backed up. */
export type Priority = "control" | "text" | "voice";

/** Limits of one queue, in bytes. */
export interface QueueLimits {
  /** Voice frames are dropped while more than this is queued. */
  voiceBytes: number;
  /** Beyond this, the connection is a slow consumer. */
  maxBytes: number;
}

/** Default limits: about one second of voice for a few talkers, 1 MiB in all. */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = { voiceBytes: 8 * 1024, maxBytes: 1024 * 1024 };

/** Where the bytes go: a `Deno.Conn` in production. */
export interface ByteWriter {
  /** Writes some of `bytes`; returns how many. */
  write(bytes: Uint8Array): Promise<number>;
  /**
   * Writes what it can of `bytes` at once, without waiting (0 when it cannot); throws
   * when the connection failed. Only writers with a synchronous send have it (epoll).
   */
  trySend?(bytes: Uint8Array): number;
}

const MAX_BATCH = 64 * 1024;

// The last batch joined, kept for the next queue: in a room's fan-out most
// receivers of one flush turn hold the very same frames, and they then share one
// buffer instead of each copying the same bytes (never written to once made).
let lastBatch: { frames: Uint8Array[]; bytes: Uint8Array } = {
  frames: [],
  bytes: new Uint8Array(),
};

function sameFrames(a: Uint8Array[], b: Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A flush held for a shared turn: starts the write and returns its completion (if any). */
export type HeldFlush = () => Promise<void> | undefined;

/** Outgoing queue of one connection. */
export class SendQueue {
  readonly #writer: ByteWriter;
  readonly #limits: QueueLimits;
  readonly #onOverflow: () => void;
  readonly #onError: (err: unknown) => void;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #flushing = false;
  #closed = false;
  #drained: (() => void)[] | null = null;
  readonly #schedule: (flush: () => void) => void;
  readonly #hold: ((flush: HeldFlush) => boolean) | null;
  // A flush waits for its turn from send() until it starts; a turn that finds it
  // started already (an urgent frame cut a held wait short) does nothing.
  #waiting = false;
  #held = false;
  readonly #flushNow = (): Promise<void> | undefined => {
    if (!this.#waiting) return;
    this.#waiting = this.#held = false;
    return this.#flush();
  };
  // An urgent frame queued while a write was under way: the next write goes at
  // once even when texts would otherwise wait for the next shared turn.
  #urgentQueued = false;
  #patient = false;
  /** Voice frames dropped because the reader was behind. */
  droppedVoice = 0;

  /**
   * `onOverflow` runs once when text or control frames pass the limit;
   * `onError` when a write fails (the peer went away). A flush runs at the end of
   * this turn (a microtask), or, while frames pile up faster than they are written,
   * when `schedule` says (by default the same). `hold`, when given, may take the
   * flush to run later (returning true), unless the frame is urgent.
   */
  constructor(
    writer: ByteWriter,
    limits: QueueLimits,
    onOverflow: () => void,
    onError: (err: unknown) => void,
    // Wrapped: a browser refuses queueMicrotask called as a method of this queue.
    schedule: (flush: () => void) => void = (flush) => queueMicrotask(flush),
    hold: ((flush: HeldFlush) => boolean) | null = null,
  ) {
    this.#schedule = schedule;
    this.#hold = hold;
    this.#writer = writer;
    this.#limits = limits;
    this.#onOverflow = onOverflow;
    this.#onError = onError;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /**
   * Queues a frame; returns false when it was dropped or the queue gave up. An
   * `urgent` frame (voice, or a reply the peer waits for) is never held, and
   * flushes a held queue at once.
   */
  send(frame: Uint8Array, priority: Priority, urgent = priority === "voice"): boolean {
    if (this.#closed) return false;
    if (priority === "voice" && this.#bytes + frame.length > this.#limits.voiceBytes) {
      this.droppedVoice++;
      return false;
    }
    if (this.#bytes + frame.length > this.#limits.maxBytes) {
      this.#closed = true;
      this.#chunks = [];
      this.#bytes = 0;
      this.#onOverflow();
      return false;
    }
    // Voice to an idle queue whose writer can send at once goes out now: a fan-out to
    // thousands then costs a system call each, with no flush, promise or turn of its own.
    if (priority === "voice" && this.#bytes === 0 && !this.#flushing && this.#writer.trySend) {
      const sent = this.#sendNow(frame);
      if (sent === frame.length || sent < 0) return sent > 0;
      if (sent > 0) frame = frame.subarray(sent);
    }
    this.#chunks.push(frame);
    this.#bytes += frame.length;
    if (!this.#flushing) this.#arm(urgent);
    else if (this.#held && urgent) {
      this.#held = false;
      queueMicrotask(this.#flushNow);
    } else if (urgent) this.#urgentQueued = true;
    return true;
  }

  /** `trySend` of `frame`: bytes sent, or -1 when the writer failed (the queue is then closed). */
  #sendNow(frame: Uint8Array): number {
    try {
      return this.#writer.trySend!(frame);
    } catch (err) {
      this.close();
      // Told in a later microtask, as a failed write is: the sender may be mid fan-out.
      queueMicrotask(() => this.#onError(err));
      return -1;
    }
  }

  #arm(urgent: boolean): void {
    this.#flushing = this.#waiting = true;
    this.#urgentQueued = false;
    // Defer so that every frame queued meanwhile joins one write.
    if (!urgent && this.#hold?.(this.#flushNow)) this.#held = true;
    else if (this.#patient) this.#schedule(this.#flushNow);
    else queueMicrotask(this.#flushNow);
  }

  /** Resolves once everything queued so far is written (or the queue is closed). */
  drain(): Promise<void> {
    if (this.#bytes === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => (this.#drained ??= []).push(resolve));
  }

  /** Stops writing; queued frames are discarded. */
  close(): void {
    this.#closed = true;
    this.#chunks = [];
    this.#bytes = 0;
    this.#settle();
  }

  async #flush(): Promise<void> {
    // With a hold, frames that arrive while this flush writes wait for the next
    // shared turn instead of a second write in this one: under load a write can
    // take a whole turn to complete, and writing again at once would double the
    // writes a turn just when they are what limits the relay.
    let left = this.#hold ? this.#chunks.length : Infinity;
    try {
      while (left > 0 && this.#chunks.length > 0 && !this.#closed) {
        const before = this.#chunks.length;
        const batch = this.#takeBatch();
        left -= before - this.#chunks.length;
        let off = 0;
        while (off < batch.length && !this.#closed) {
          off += await this.#writer.write(off === 0 ? batch : batch.subarray(off));
        }
        // close() or an overflow during the write has already zeroed the count.
        if (!this.#closed) this.#bytes -= batch.length;
      }
    } catch (err) {
      this.close();
      this.#onError(err);
    } finally {
      this.#flushing = false;
      if (this.#bytes === 0 || this.#closed) this.#settle();
      else if (this.#chunks.length > 0) this.#arm(this.#urgentQueued);
    }
  }

  #takeBatch(): Uint8Array {
    // Frames piling up between flushes mean writes are the bottleneck: wait for the
    // shared (later) flush turn from now on. A lone frame means they are not: go
    // back to flushing at once, which keeps voice to many listeners on time.
    this.#patient = this.#chunks.length > 1;
    if (this.#chunks.length === 1 || this.#chunks[0].length >= MAX_BATCH) {
      return this.#chunks.shift()!;
    }
    let n = 0;
    for (let size = 0; n < this.#chunks.length && size + this.#chunks[n].length <= MAX_BATCH; n++) {
      size += this.#chunks[n].length;
    }
    // Most batches take every frame queued: the array itself, rather than a copy of it.
    const frames = n === this.#chunks.length ? this.#chunks : this.#chunks.splice(0, n);
    if (frames === this.#chunks) this.#chunks = [];
    if (!sameFrames(frames, lastBatch.frames)) lastBatch = { frames, bytes: concatBytes(frames) };
    return lastBatch.bytes;
  }

  #settle(): void {
    const waiting = this.#drained;
    if (waiting === null) return;
    this.#drained = null;
    for (const resolve of waiting) resolve();
  }
}

/**
 * A scheduler for many queues at once: flushes wait for the next timer turn of
 * the event loop, all together. When the relay is idle that is well under a
 * millisecond; when it is busy reading, the turn comes later and each flush
 * carries more frames, so one socket write serves several messages exactly
 * when writes are what limits throughput.
 */
export function batchedScheduler(): (flush: () => void) => void {
  let due: (() => void)[] = [];
  const run = () => {
    const now = due;
    due = [];
    for (const f of now) f();
  };
  return (flush) => {
    if (due.push(flush) === 1) setTimeout(run, 0);
  };
}
