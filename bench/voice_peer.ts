/**
 * Voice clients for the voice benchmarks. A talker takes the floor and sends
 * real Opus packets (a test tone encoded by our {@linkcode OpusEncoder}), each
 * sealed with {@linkcode Sealer.sealVoice} as it leaves, every 20 ms on an
 * open-loop schedule; listeners time every voice frame against the moment its
 * frame was due and, when verifying, open it with the real {@linkcode Opener}.
 *
 * @module
 */

import { benchConnect } from "./bench_tls.ts";
import { FRAME_SAMPLES, SAMPLE_RATE } from "../audio/audio_io.ts";
import { OpusEncoder } from "../audio/opus_codec.ts";
import { Opener, type RoomKey, Sealer, toHex, type VoiceSender } from "../lib/cipher.ts";
import { DEFAULT_MAX_FRAME, encodeFrame, scanFrames } from "../lib/framing.ts";
import { encodeJson, encodeTaggedVoice, FrameType, PROTOCOL_VERSION } from "../lib/protocol.ts";
import { benchSession } from "./am_driver.ts";
import { ConnWriter } from "./conn_writer.ts";
import { readLoop } from "./driver.ts";

/** Opus packets of a 440 Hz + 660 Hz tone at −12 dBFS, `frames` 20 ms frames. */
export function tonePackets(frames: number): Uint8Array[] {
  const enc = new OpusEncoder();
  const out: Uint8Array[] = [];
  for (let f = 0; f < frames; f++) {
    const pcm = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const t = (f * FRAME_SAMPLES + i) / SAMPLE_RATE;
      pcm[i] = Math.round(
        4100 * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 660 * t)),
      );
    }
    out.push(enc.encode(pcm));
  }
  enc.delete();
  return out;
}

/** Called for each voice frame a listener gets: counter, bytes on the socket, arrival. */
export type VoiceSink = (counter: number, bytes: number, now: number) => void;

/** One voice benchmark client (talker or listener). */
export class VoicePeer {
  /** Nick. */
  readonly nick: string;
  /** Sender session. */
  readonly session = benchSession(0);
  /** Voice frames opened and verified (verifying listeners). */
  verified = 0;
  /** Voice frames that failed to open. */
  failed = 0;
  /** Bytes of voice frames received. */
  voiceBytesIn = 0;
  readonly #conn: Deno.Conn;
  readonly #writer: ConnWriter;
  readonly #key: RoomKey;
  #sealer: Sealer | null = null;
  #joined!: () => void;
  #granted!: () => void;
  readonly #joinedP = new Promise<void>((r) => this.#joined = r);
  readonly #grantedP = new Promise<void>((r) => this.#granted = r);

  private constructor(conn: Deno.Conn, key: RoomKey, nick: string) {
    this.#conn = conn;
    this.#writer = new ConnWriter(conn);
    this.#key = key;
    this.nick = nick;
  }

  /** Connects to the relay on `port` (TLS when given its anchor), joins; `sink` sees voice frames. */
  static async join(
    port: number,
    key: RoomKey,
    nick: string,
    sink: VoiceSink | null,
    verifyFrom: VoiceSender | null = null,
    tlsAnchor: string | null = null,
  ): Promise<VoicePeer> {
    const conn = await benchConnect(port, tlsAnchor);
    const peer = new VoicePeer(conn, key, nick);
    const opener = verifyFrom ? new Opener(key) : null;
    readLoop(
      conn,
      (buf, end, now) =>
        scanFrames(buf, 0, end, DEFAULT_MAX_FRAME * 16, (type, from, to) => {
          if (type === FrameType.Voice) {
            const c = from + 6; // after the 2-byte member id and the 4-byte listener tag
            const counter = ((buf[c] << 24) | (buf[c + 1] << 16) | (buf[c + 2] << 8) |
              buf[c + 3]) >>> 0;
            peer.voiceBytesIn += to - from + 5;
            sink?.(counter, to - from + 5, now);
            if (opener) {
              try {
                opener.openVoice(verifyFrom!, buf.slice(from + 6, to));
                peer.verified++;
              } catch {
                peer.failed++;
              }
            }
          } else if (type === FrameType.Welcome) peer.#joined();
          else if (type === FrameType.TalkState) peer.#granted();
        }),
      null,
      () => false,
      8192,
    ).catch(() => {});
    const hello = {
      v: PROTOCOL_VERSION,
      nick,
      room: key.room,
      session: toHex(peer.session),
      keyId: toHex(key.keyId),
    };
    peer.#writer.queue(encodeFrame(FrameType.Hello, encodeJson(hello)));
    peer.#writer.flush();
    await peer.#joinedP;
    return peer;
  }

  /** What a listener needs to open this peer's voice. */
  get asSender(): VoiceSender {
    return { nick: this.nick, session: toHex(this.session), keyId: toHex(this.#key.keyId) };
  }

  /** Asks for the floor and waits for the grant. */
  async talk(): Promise<void> {
    this.#sealer = new Sealer(this.#key, this.nick, this.session);
    this.#writer.queue(encodeFrame(FrameType.Talk, encodeJson({ on: true })));
    this.#writer.flush();
    await this.#grantedP;
  }

  /** Seals and queues one Opus packet as a voice frame (counter = frames sent so far). */
  sendVoice(packet: Uint8Array): void {
    // No listener tags (the relay then fills each listener's slot with zeros): the
    // relay's work and the listeners' bytes are as with tags; the talker's upload is not.
    const sealed = this.#sealer!.sealVoice(packet);
    this.#writer.queue(encodeFrame(FrameType.Voice, encodeTaggedVoice([], sealed)));
  }

  /** Writes what is queued. */
  flush(): void {
    this.#writer.flush();
  }

  /** Bytes written on this socket so far. */
  get bytesOut(): number {
    return this.#writer.written;
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
