/**
 * What each Opus application mode costs in delay and keeps of speech: espeak-ng
 * speech (22 kHz, resampled to 48 kHz) through our encoder and decoder at 24 and 32 kbit/s,
 * printing the look-ahead (the lag of the best alignment), the waveform correlation
 * and signal-to-noise ratio at that lag, and the mean packet size. Waveform figures
 * are not a listening test: SILK shapes its noise for the ear, so it scores lower on
 * SNR than it sounds; they show that a mode is not broken and how far apart they are.
 *
 *   deno run -A bench/opus_modes.ts
 *
 * @module
 */

import { FRAME_SAMPLES, SAMPLE_RATE } from "../audio/audio_io.ts";
import { alignedCorrelation } from "../audio/analysis.ts";
import { type OpusApplication, OpusDecoder, OpusEncoder } from "../audio/opus_codec.ts";
import { readWav } from "../audio/wav.ts";

if (import.meta.main) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/speech.wav`;
  const text = "The quick brown fox jumps over the lazy dog. She sells sea shells by the shore.";
  await new Deno.Command("espeak-ng", { args: ["-w", path, text] }).output();
  const wav = readWav(await Deno.readFile(path));
  await Deno.remove(dir, { recursive: true });
  const speech = wav.samples; // readWav resamples to 48 kHz
  console.log("| mode | kbit/s | look-ahead ms | correlation | SNR dB | bytes/packet |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const mode of ["voip", "audio", "restricted-lowdelay"] as OpusApplication[]) {
    for (const bitrate of [24000, 32000]) {
      const enc = new OpusEncoder(bitrate, mode);
      const dec = new OpusDecoder();
      const frames = Math.floor(speech.length / FRAME_SAMPLES);
      const out = new Int16Array(frames * FRAME_SAMPLES);
      let bytes = 0;
      for (let k = 0; k < frames; k++) {
        const packet = enc.encode(speech.subarray(k * FRAME_SAMPLES, (k + 1) * FRAME_SAMPLES));
        bytes += packet.length;
        out.set(dec.decode(packet), k * FRAME_SAMPLES);
      }
      enc.delete();
      dec.delete();
      const input = speech.subarray(0, out.length);
      const a = alignedCorrelation(input, out, 2000);
      let noise = 0;
      let signal = 0;
      for (let i = a.lag; i < out.length; i++) {
        noise += (out[i] - input[i - a.lag]) ** 2;
        signal += input[i - a.lag] ** 2;
      }
      console.log(
        `| ${mode} | ${bitrate / 1000} | ${(a.lag * 1000 / SAMPLE_RATE).toFixed(2)} | ${
          a.correlation.toFixed(3)
        } | ${(10 * Math.log10(signal / noise)).toFixed(1)} | ${(bytes / frames).toFixed(1)} |`,
      );
    }
  }
}
