/**
 * The listening half of voice: one jitter buffer and one Opus decoder per
 * talker, a mixer, and a playout loop that hands the speaker exactly one
 * 20 ms frame per tick (silence when nobody talks, so a recording keeps a
 * continuous timeline and a device never underruns). Spurts fade in and
 * out; a missing frame is concealed by Opus. When every talker's buffer has
 * slack to spare, a quiet tick is played shorter, so the device's ticks come
 * just after the arrivals instead of up to a frame later by chance.
 *
 * @module
 */

import type { AudioSink } from "../../audio/audio_io.ts";
import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from "../../audio/audio_io.ts";
import { fadeInPlace, fadeOutPlace } from "../../audio/fade.ts";
import { JitterBuffer } from "../../audio/jitter_buffer.ts";
import { mixFrames } from "../../audio/mixer.ts";
import { OpusDecoder, OpusEncoder } from "../../audio/opus_codec.ts";
import { peakLevel } from "../../audio/vad.ts";
import { epochMs, onsetIndex, VoiceTrace } from "./trace.ts";

interface Talker {
  buffer: JitterBuffer;
  decoder: OpusDecoder;
  lastHeard: number;
  /** Whether the last frame played for this talker was quiet. */
  quiet: boolean;
  /** Arrival epoch times by counter, kept only while tracing. */
  arrivals: Map<number, number> | null;
}

/** What the trace says about the frame of this tick that holds a burst onset. */
interface TracedFrame {
  seq: number;
  arrival: number;
  popped: number;
  onset: number;
  target: number;
  cover: number;
  depth: number;
}

/** A frame this quiet may be skipped without anyone hearing a jump. */
const QUIET_PEAK = 600;
/** A playout loop this late for its tick was stalled itself (not the network). */
const SELF_STALL_MS = 3 * FRAME_MS;
/** Talkers unheard for this long are forgotten (their decoder freed). */
const FORGET_AFTER_MS = 30_000;
/** A silent tick is cut short for a talker's start only when it gains at least this much, in ms. */
const MIN_START_CUT_MS = 2;
/** Frames of silence the player rehearses with before it starts; no talker has this id. */
const REHEARSAL_FRAMES = 8;
const REHEARSAL_TALKER = "";

/**
 * How many whole ms to cut off a tick of silence when a waiting spurt will be due
 * `startsInMs` from now ({@linkcode JitterBuffer.startsInMs}), so that the next tick
 * comes then rather than a whole frame later: 0 when it is due already, beyond this
 * tick, or within 2 ms of its end; never the whole tick.
 */
export function silentTickCut(startsInMs: number): number {
  if (!(startsInMs > 0)) return 0;
  const ms = Math.floor(FRAME_MS - startsInMs);
  return ms >= MIN_START_CUT_MS ? Math.min(ms, FRAME_MS - 1) : 0;
}

/** Plays the room's voice to one sink. */
export class VoicePlayout {
  readonly #sink: AudioSink;
  readonly #talkers = new Map<string, Talker>();
  #running = true;
  #lastTick = performance.now();
  readonly #loop: Promise<void>;
  #trace = VoiceTrace.fromEnv();
  #traced: TracedFrame | null = null;
  /** Frames concealed because a packet was missing. */
  concealed = 0;
  /** Quiet frames skipped to keep latency from creeping up. */
  skipped = 0;
  /** Ticks of silence played to deepen a talker's buffer when its jitter grew. */
  held = 0;
  /** Quiet ticks played shorter to give back slack, and the ms cut from them in all. */
  trims = 0;
  trimmedMs = 0;
  /** Called with each decoded frame of a talker (the echo bot listens here). */
  onDecoded: ((talker: string, pcm: Int16Array) => void) | null = null;

  /** Starts the playout loop on `sink`. */
  constructor(sink: AudioSink) {
    this.#sink = sink;
    this.#rehearse();
    this.#loop = this.#run();
  }

  /**
   * Plays a short spurt of silence through the whole listening path (jitter buffer,
   * decoder, fades, mixer) without the device, and forgets it. The first pass over
   * that code compiles it: measured on a listener, the first frame of a talk took 7
   * ms to take in against 0.3 ms later, the frames behind it came in bunched, and the
   * buffer started a frame or two deeper than the path needed (bench/analysis.md).
   */
  #rehearse(): void {
    const trace = this.#trace;
    this.#trace = null;
    const encoder = new OpusEncoder();
    try {
      const silence = new Int16Array(FRAME_SAMPLES);
      for (let i = 0; i < REHEARSAL_FRAMES; i++) {
        this.receive(REHEARSAL_TALKER, i, encoder.encode(silence));
        this.#tick();
      }
    } finally {
      encoder.delete();
      this.#talkers.get(REHEARSAL_TALKER)?.decoder.delete();
      this.#talkers.delete(REHEARSAL_TALKER);
      this.concealed =
        this.skipped =
        this.held =
        this.trims =
        this.trimmedMs =
          0;
      this.#trace = trace;
    }
  }

  /** Takes one opened voice packet of `talker` (its session id) with its counter. */
  receive(talker: string, counter: number, packet: Uint8Array): void {
    let t = this.#talkers.get(talker);
    if (!t) {
      t = {
        buffer: new JitterBuffer(),
        decoder: new OpusDecoder(),
        lastHeard: 0,
        quiet: true,
        arrivals: this.#trace ? new Map() : null,
      };
      this.#talkers.set(talker, t);
    }
    t.lastHeard = performance.now();
    if (t.arrivals) {
      t.arrivals.set(counter, epochMs());
      // Bounded: a counter never popped (late, dropped) must not stay forever.
      if (t.arrivals.size > 256) t.arrivals.delete(t.arrivals.keys().next().value!);
    }
    // Packets taken late because this process stalled are not network lateness.
    t.buffer.push(counter, packet, t.lastHeard, t.lastHeard - this.#lastTick > SELF_STALL_MS);
  }

  /** One tick's frame: every talker's next frame, mixed (shorter when trimmed). */
  #tick(): Int16Array {
    const frames: Int16Array[] = [];
    const now = performance.now();
    // What every playing talker allows to be cut off this tick, if all played quiet.
    let trimMs = this.#sink.shortFrames ? Infinity : 0;
    for (const [id, t] of this.#talkers) {
      if (t.quiet && t.buffer.deficit) {
        // Frames have been arriving with too little slack: stretch the pause after a
        // quiet frame by one tick of silence, instead of concealing a frame later.
        t.buffer.hold();
        this.held++;
        trimMs = 0;
        continue;
      }
      const pop = t.buffer.pop(now);
      if (pop.kind === "frame") {
        let pcm = t.decoder.decode(pop.payload);
        let seq = pop.seq;
        let quiet = peakLevel(pcm) < QUIET_PEAK;
        if (quiet && t.buffer.surplus) {
          // The queue has run long: drop this quiet frame (decoded all the same, so
          // the decoder's state stays continuous) and play the next one in its slot.
          const next = t.buffer.pop(now);
          if (next.kind === "frame") {
            pcm = t.decoder.decode(next.payload);
            seq = next.seq;
            quiet = peakLevel(pcm) < QUIET_PEAK;
          }
          this.skipped++;
        }
        t.quiet = quiet;
        trimMs = quiet ? Math.min(trimMs, t.buffer.trimMs) : 0;
        if (pop.start) fadeInPlace(pcm);
        if (t.arrivals) this.#traceFrame(t, seq, pcm);
        this.onDecoded?.(id, pcm);
        frames.push(pcm);
      } else if (pop.kind === "lost") {
        const pcm = t.decoder.conceal();
        t.quiet = false;
        trimMs = 0;
        this.concealed++;
        if (pop.final) fadeOutPlace(pcm);
        frames.push(pcm);
      } else if (now - t.lastHeard > FORGET_AFTER_MS) {
        t.decoder.delete();
        this.#talkers.delete(id);
      }
    }
    if (!frames.length && trimMs === Infinity) {
      // Nobody is heard this tick. A talker whose first frames will have waited their
      // cover before the next tick would start up to a frame later than the path
      // needs: end this tick of silence then instead.
      const ms = this.#startTrim(now);
      if (ms > 0) return this.#trim(new Int16Array(FRAME_SAMPLES), ms);
    }
    const mixed = frames.length
      ? mixFrames(frames, { length: FRAME_SAMPLES })
      : new Int16Array(FRAME_SAMPLES);
    return frames.length && Number.isFinite(trimMs) && trimMs > 0
      ? this.#trim(mixed, trimMs)
      : mixed;
  }

  /**
   * Plays this quiet tick `ms` shorter: the device takes the next frame that much
   * sooner, so every talker's frames wait that much less from now on.
   */
  #trim(pcm: Int16Array, ms: number): Int16Array {
    for (const t of this.#talkers.values()) if (t.buffer.playing) t.buffer.trimmed(ms);
    this.trims++;
    this.trimmedMs += ms;
    return pcm.subarray(0, FRAME_SAMPLES - (ms * SAMPLE_RATE) / 1000);
  }

  /** Ms to cut off a silent tick so that the next one starts a waiting talker (0 for none). */
  #startTrim(now: number): number {
    let startsIn = Infinity;
    for (const t of this.#talkers.values()) startsIn = Math.min(startsIn, t.buffer.startsInMs(now));
    return silentTickCut(startsIn);
  }

  #traceFrame(t: Talker, seq: number, pcm: Int16Array): void {
    const arrival = t.arrivals!.get(seq);
    t.arrivals!.delete(seq);
    const onset = onsetIndex(pcm);
    if (arrival === undefined || onset < 0) return;
    const s = t.buffer.stats();
    this.#traced = {
      seq,
      arrival,
      popped: epochMs(),
      onset,
      target: s.targetFrames,
      cover: t.buffer.coverMs,
      depth: s.depth,
    };
  }

  async #run(): Promise<void> {
    // The sink paces the loop: a device blocks, a file waits for the wall clock.
    while (this.#running) {
      const pcm = this.#tick();
      const traced = this.#traced;
      this.#traced = null;
      const writeAt = traced ? epochMs() : 0;
      await this.#sink.write(pcm);
      this.#lastTick = performance.now();
      if (traced) {
        const { seq, arrival, popped, onset, target, cover, depth } = traced;
        this.#trace!.mark("play", {
          seq,
          arr: arrival,
          pop: popped,
          w: writeAt,
          q: this.#sink.queuedMs ?? NaN,
          buf: this.#sink.bufferMs ?? NaN,
          on: onset,
          target,
          cover,
          depth,
        });
      }
    }
  }

  /** Stops playing and completes the sink (a WAV recording is valid afterwards). */
  async close(): Promise<void> {
    this.#running = false;
    await this.#loop.catch(() => {});
    this.#trace?.mark("stats", {
      concealed: this.concealed,
      skipped: this.skipped,
      held: this.held,
      trims: this.trims,
      trimmedMs: this.trimmedMs,
    });
    this.#trace?.flush();
    await this.#sink.close();
    for (const t of this.#talkers.values()) t.decoder.delete();
    this.#talkers.clear();
  }
}
