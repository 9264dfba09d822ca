/**
 * Runs the Opus codec ahead of the first talk, long enough for the runtime to finish
 * compiling it. WebAssembly starts in a quick baseline compile and the runtime
 * recompiles each function optimized, on background threads, once it has run enough.
 * Cold, that recompile came during a talk's first second: the talker's process spent
 * about a core on it, on a two-core machine the relay and the listener waited for the
 * processor, and a talk's first frames reached the listener 15–70 ms late, which left
 * its jitter buffer a frame deeper for the first 2.5 s (bench/analysis.md). Encoding
 * and decoding two seconds of a speech-like signal when voice is set up moves that
 * work to before the first talk. The event loop runs between every few frames, so
 * texts and the relay are not kept waiting meanwhile.
 *
 * @module
 */

import { FRAME_SAMPLES, SAMPLE_RATE } from "./audio_io.ts";
import { OpusDecoder, OpusEncoder } from "./opus_codec.ts";

/**
 * Frames run through the codec (2 s). Measured on the talker at the start of a talk
 * (`perf record` of its threads for 1 s): the runtime's background threads took 965
 * samples after a 3-frame warm-up, 105 after 60 frames and 57 after 200.
 */
export const WARM_UP_FRAMES = 100;

/** Frames run in one turn of the event loop: about 5 ms of work before it runs again. */
const FRAMES_A_TURN = 4;

let warming: Promise<void> | null = null;

/**
 * Encodes and decodes {@linkcode WARM_UP_FRAMES} frames of voiced and unvoiced sound
 * (with a few concealed ones), a few frames per turn of the event loop. The first call
 * instantiates the codec at once; later calls return the same promise.
 */
export function warmUpOpus(frames = WARM_UP_FRAMES): Promise<void> {
  return warming ??= run(frames);
}

async function run(frames: number): Promise<void> {
  const encoder = new OpusEncoder();
  const decoder = new OpusDecoder();
  try {
    const pcm = new Int16Array(FRAME_SAMPLES);
    for (let f = 0; f < frames; f++) {
      speechLike(pcm, f);
      const decoded = decoder.decode(encoder.encode(pcm));
      if (decoded.length !== FRAME_SAMPLES) throw new Error("Opus warm-up: short frame");
      if (f % 25 === 24) decoder.conceal();
      if (f % FRAMES_A_TURN === FRAMES_A_TURN - 1) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  } finally {
    encoder.delete();
    decoder.delete();
  }
}

/**
 * Frame `f` of a test signal that takes the encoder's speech paths: half a second of
 * a voiced sound (a gliding 110–230 Hz pitch with falling harmonics), then a quarter of
 * hiss at a lower level, then a quarter of near silence, over and over.
 */
function speechLike(pcm: Int16Array, f: number): void {
  const phase = f % 50;
  let seed = f * 2654435761 >>> 0;
  const noise = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 31 - 1;
  };
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const t = (f * FRAME_SAMPLES + i) / SAMPLE_RATE;
    let x: number;
    if (phase < 25) {
      const pitch = 110 + 120 * (phase / 25);
      x = 0;
      for (let h = 1; h <= 8; h++) x += Math.sin(2 * Math.PI * pitch * h * t) / h;
      x *= 4000;
    } else if (phase < 38) {
      x = 1500 * noise();
    } else {
      x = 30 * noise();
    }
    pcm[i] = Math.round(x);
  }
}
