/**
 * The no-relay reference path of bench/voice_latency.ts: captures the test
 * microphone (am_mic) with PortAudio, encodes each 20 ms frame with Opus and
 * hands the packet at once to the client's own {@linkcode VoicePlayout}
 * (jitter buffer, decoder, fades) playing to the test speaker (am_spk), opened
 * as the client opens it. Prints "ready" once running; stops at end of stdin.
 *
 * @module
 */

import { OpusEncoder } from "../audio/opus_codec.ts";
import { PortAudioSink, PortAudioSource } from "../audio/portaudio_io.ts";
import { VoicePlayout } from "../lib/voice/playout.ts";

const source = new PortAudioSource({ device: "am_mic" });
const sink = new PortAudioSink({ device: "am_spk", prefillFrames: 1 });
const playout = new VoicePlayout(sink);
const encoder = new OpusEncoder();
let running = true;
await source.start();
console.log("ready");
const stdinDone = (async () => {
  for await (const _ of Deno.stdin.readable) { /* wait for EOF */ }
  running = false;
})();
let counter = 0;
while (running) {
  const frame = await source.read();
  playout.receive("loop", ++counter, encoder.encode(frame));
}
await stdinDone;
await source.stop();
await playout.close();
Deno.exit(0);
