/**
 * Per-stage timestamps of voice frames, so the latency benchmark
 * (bench/voice_latency.ts) can split mouth to ear into capture, encode and seal,
 * network and relay, jitter buffer and playout. Off unless the environment
 * variable `AM_VOICE_TRACE` names a file; then each event is one JSON line with an
 * epoch time in milliseconds (`performance.timeOrigin + performance.now()`, so two
 * processes on one machine share the clock). Lines are buffered and appended in
 * batches, keeping file writes out of most 20 ms ticks.
 *
 * @module
 */

/** Peak (absolute sample) above which a sample starts a test burst. */
export const ONSET_LEVEL = 8000;

/** Index of the first sample at or above {@linkcode ONSET_LEVEL}, or -1. */
export function onsetIndex(pcm: Int16Array): number {
  for (let i = 0; i < pcm.length; i++) {
    if (pcm[i] >= ONSET_LEVEL || pcm[i] <= -ONSET_LEVEL) return i;
  }
  return -1;
}

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

const BATCH = 64;

/** A trace file being written; see the module doc. */
export class VoiceTrace {
  readonly #path: string;
  #lines: string[] = [];

  /** Appends to `path`. */
  constructor(path: string) {
    this.#path = path;
  }

  /** The trace `AM_VOICE_TRACE` asks for, or null (the usual case). */
  static fromEnv(): VoiceTrace | null {
    let path: string | undefined;
    try {
      path = Deno.env.get("AM_VOICE_TRACE");
    } catch {
      // No env permission: no trace.
    }
    return path ? new VoiceTrace(path) : null;
  }

  /** Records one event of kind `stage` with its fields. */
  mark(stage: string, fields: Record<string, number | string>): void {
    this.#lines.push(JSON.stringify({ s: stage, ...fields }));
    if (this.#lines.length >= BATCH) this.flush();
  }

  /** Writes out what is buffered. */
  flush(): void {
    if (!this.#lines.length) return;
    const text = this.#lines.join("\n") + "\n";
    this.#lines = [];
    try {
      Deno.writeTextFileSync(this.#path, text, { append: true });
    } catch {
      // A trace is a measuring aid: losing it must never stop the voice.
    }
  }
}
