/**
 * Wire bandwidth of one voice stream: a talker sends 5 s of sealed Opus frames
 * (20 ms, a test tone) through the relay to N listeners (default 1; the first
 * opens and checks every frame); bytes written on the talker's socket and read
 * on the first listener's socket, per second, with framing, member-id stamp,
 * epoch, counter, GCM tag and per-listener tags included (the talker's upload
 * carries one 6-byte id+tag per listener). Also given with an
 * estimate of TCP/IPv4 headers (52 bytes a segment with timestamps, one segment
 * a frame), next to raw 44.1 kHz/16-bit PCM (705.6 kbit/s) and Mumble's default
 * (~55 kbit/s on the wire).
 *
 *   deno run -A bench/voice_bandwidth.ts --out FILE [--listeners N]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { deriveRoomKey } from "../lib/cipher.ts";
import { BENCH_PASSPHRASE } from "./am_driver.ts";
import { freePort, ServerProcess, sleep } from "./proc.ts";
import { amSpec } from "./servers.ts";
import { tonePackets, VoicePeer } from "./voice_peer.ts";

/** TCP (20) + IPv4 (20) + TCP timestamp option (12) bytes per segment. */
export const TCP_IP_HEADER_BYTES = 52;
/** The original project's raw PCM: 44100 Hz × 16 bit, mono. */
export const RAW_PCM_KBITS = 705.6;
/** Mumble's default quality on the wire, as usually quoted. */
export const MUMBLE_KBITS = 55;

/** One stream's bandwidth. */
export interface BandwidthResult {
  seconds: number;
  listeners: number;
  /** Frames the first listener opened and verified. */
  verified: number;
  frames: number;
  /** Average Opus packet, bytes. */
  opusBytes: number;
  /** Socket payload, kbit/s. */
  upKbits: number;
  downKbits: number;
  /** Socket payload plus TCP/IPv4 headers, kbit/s. */
  upWireKbits: number;
  downWireKbits: number;
}

/** Measures one talker → relay → one listener for `seconds`. */
export async function measureBandwidth(seconds = 5, listeners = 1): Promise<BandwidthResult> {
  const key = await deriveRoomKey(BENCH_PASSPHRASE, "bandwidth");
  const frames = seconds * 50;
  const packets = tonePackets(frames);
  const port = freePort();
  const relay = await ServerProcess.start(amSpec(port, null, ["--duplex", "full"]));
  try {
    const talker = await VoicePeer.talker(port, key, "talker");
    let received = 0;
    const listener = await VoicePeer.join(port, key, "listener", () => received++, "talker");
    const others: VoicePeer[] = [];
    for (let i = 1; i < listeners; i++) {
      others.push(await VoicePeer.join(port, key, `l${i}`, null));
    }
    await listener.keyed("talker");
    await talker.talk();
    const before = talker.bytesOut;
    const t0 = performance.now();
    for (let i = 0; i < frames; i++) {
      const wait = t0 + i * 20 - performance.now();
      if (wait > 0) await sleep(wait);
      talker.sendVoice(packets[i]);
      talker.flush();
    }
    const end = performance.now() + 1000;
    while (received < frames && performance.now() < end) await sleep(10);
    const up = talker.bytesOut - before;
    const down = listener.voiceBytesIn;
    talker.close();
    listener.close();
    for (const o of others) o.close();
    const kbits = (bytes: number) => (bytes * 8) / seconds / 1000;
    const headers = kbits(frames * TCP_IP_HEADER_BYTES);
    return {
      seconds,
      listeners,
      verified: listener.verified,
      frames,
      opusBytes: packets.reduce((a, p) => a + p.length, 0) / frames,
      upKbits: kbits(up),
      downKbits: kbits(down),
      upWireKbits: kbits(up) + headers,
      downWireKbits: kbits(down) + headers,
    };
  } finally {
    await relay.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "bench/results/voice_bandwidth.json" },
      listeners: { type: "string", default: "1" },
    },
  });
  const r = await measureBandwidth(5, Number(values.listeners));
  console.log(
    `voice stream, ${r.listeners} listener(s), ${r.verified}/${r.frames} verified: Opus ${
      r.opusBytes.toFixed(1)
    } B/frame; socket up ${r.upKbits.toFixed(1)} ` +
      `down ${r.downKbits.toFixed(1)} kbit/s; with TCP/IP headers up ${r.upWireKbits.toFixed(1)} ` +
      `down ${
        r.downWireKbits.toFixed(1)
      } kbit/s (raw PCM ${RAW_PCM_KBITS}, Mumble ~${MUMBLE_KBITS})`,
  );
  Deno.writeTextFileSync(values.out!, JSON.stringify(r, null, 1));
}
