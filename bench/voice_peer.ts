/**
 * Voice clients for the voice benchmarks, on the product's end-to-end code
 * ({@linkcode GroupSession}): a talker takes the floor and sends real Opus
 * packets (a test tone encoded by our {@linkcode OpusEncoder}), each sealed
 * under its voice sender chain and tagged for every listener it knows, as
 * `am-client` does, every 20 ms on an open-loop schedule; listeners time every
 * voice frame against the moment its frame was due and, given the talker's
 * {@linkcode VoiceLedger}, check each frame is byte for byte the one the talker
 * sent them; opening listeners also get the talker's keys (asking for them with
 * a key share) and open and authenticate each frame with their own tag.
 *
 * @module
 */

import { type BenchConn, benchConnect, type BenchIo } from "./bench_tls.ts";
import { FRAME_SAMPLES, SAMPLE_RATE } from "../audio/audio_io.ts";
import { OpusEncoder } from "../audio/opus_codec.ts";
import type { RoomKey } from "../lib/cipher.ts";
import { toHex } from "../lib/cipher.ts";
import { DEFAULT_MAX_FRAME, encodeFrame, scanFrames } from "../lib/framing.ts";
import {
  decodeJson,
  encodeJson,
  FrameType,
  type Member,
  PROTOCOL_VERSION,
  splitKeyShare,
  splitListenerVoice,
  type Welcome,
} from "../lib/protocol.ts";
import { GroupSession } from "../lib/e2e/group.ts";
import { Identity } from "../lib/e2e/identity.ts";
import { benchSession } from "./am_driver.ts";
import { ConnWriter } from "./conn_writer.ts";
import { readLoop } from "./driver.ts";
import type { VoiceLedger } from "./voice_ledger.ts";

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

/**
 * One voice benchmark client (talker or listener). Only the talker and
 * verifying listeners keep end-to-end state for others (a talker must know its
 * listeners to tag for them); the other listeners only count and time frames,
 * so a bench of a thousand listeners does not do a million key agreements.
 */
export class VoicePeer {
  /** Nick. */
  readonly nick: string;
  /** This peer's end-to-end state. */
  readonly group: GroupSession;
  /** Voice frames opened and authenticated (opening listeners). */
  verified = 0;
  /** Voice frames that failed to open or authenticate (or came before the talker's keys). */
  failed = 0;
  /** Voice frames found exactly as the talker sent them to this listener (with a ledger). */
  checked = 0;
  /** Voice frames that differed from what the talker sent, or that it never sent. */
  checkFailed = 0;
  /** This peer's member id (from the welcome). */
  memberId = -1;
  /** Bytes of voice frames received. */
  voiceBytesIn = 0;
  readonly #conn: BenchConn;
  readonly #writer: ConnWriter;
  /** Whose members this peer admits: every one (a talker), one nick (a verifier), or none. */
  readonly #admits: "all" | string | null;
  /** The talker's record of what it sent (talker only). */
  #ledger: VoiceLedger | null = null;
  #joined!: () => void;
  #granted!: () => void;
  readonly #joinedP = new Promise<void>((r) => this.#joined = r);
  readonly #grantedP = new Promise<void>((r) => this.#granted = r);

  private constructor(conn: BenchConn, key: RoomKey, nick: string, admits: string | null) {
    this.#conn = conn;
    this.#writer = new ConnWriter(conn);
    this.group = new GroupSession(key, nick, Identity.generate(), benchSession(0));
    this.nick = nick;
    this.#admits = admits;
  }

  /**
   * Connects to the relay on `port` (TLS when given its anchor) and joins;
   * `sink` sees voice frames; with `verifyFrom` (the talker's nick) it opens
   * and checks every frame from it (`"*"`: a talker, see {@linkcode talker});
   * with a `ledger`, a listener checks every frame against what the talker sent;
   * `io` is how its socket is read ({@linkcode benchConnect}).
   */
  static async join(
    port: number,
    key: RoomKey,
    nick: string,
    sink: VoiceSink | null,
    verifyFrom: string | null = null,
    tlsAnchor: string | null = null,
    ledger: VoiceLedger | null = null,
    io: BenchIo = "deno",
  ): Promise<VoicePeer> {
    const conn = await benchConnect(port, tlsAnchor, io);
    const peer = new VoicePeer(conn, key, nick, verifyFrom === "*" ? "all" : verifyFrom);
    const verifying = verifyFrom !== null && verifyFrom !== "*";
    // The talker writes in the ledger; a listener checks against it.
    if (verifyFrom === "*") peer.#ledger = ledger;
    const checking = verifyFrom === "*" ? null : ledger;
    // One frame handler for the peer's life, not one per read: at 2000 listeners a
    // closure per read was garbage the generator made 100,000 times a second.
    let buf: Uint8Array = new Uint8Array(0);
    let now = 0;
    const onFrame = (type: number, from: number, to: number) => {
      if (type === FrameType.Voice) {
        // After the 2-byte member id, the 4-byte listener tag and the 2-byte epoch.
        const c = from + 8;
        const counter = ((buf[c] << 24) | (buf[c + 1] << 16) | (buf[c + 2] << 8) |
          buf[c + 3]) >>> 0;
        peer.voiceBytesIn += to - from + 5;
        sink?.(counter, to - from + 5, now);
        if (checking) {
          if (checking.check(peer.memberId, buf, from, to)) peer.checked++;
          else peer.checkFailed++;
        }
        if (verifying) peer.#verify(buf.slice(from, to));
      } else if (type === FrameType.Welcome) {
        const w = decodeJson<Welcome>(buf.subarray(from, to));
        peer.memberId = w.self.id;
        for (const m of w.members) peer.#admit(m);
        peer.#joined();
      } else if (type === FrameType.Joined) {
        // Only a peer that admits members reads who joined (a talker, a verifier).
        if (peer.#admits !== null) peer.#admit(decodeJson<Member>(buf.subarray(from, to)));
      } else if (type === FrameType.KeyShare) {
        peer.#keyShare(buf.slice(from, to));
      } else if (type === FrameType.TalkState) peer.#granted();
    };
    readLoop(
      conn,
      (data, end, at) => {
        buf = data;
        now = at;
        return scanFrames(data, 0, end, DEFAULT_MAX_FRAME * 16, onFrame);
      },
      null,
      () => false,
      8192,
    ).catch(() => {});
    const hello = {
      v: PROTOCOL_VERSION,
      nick,
      room: key.room,
      session: toHex(peer.group.session),
      keyId: peer.group.keyId,
      ...peer.group.helloFields(),
    };
    peer.#writer.queue(encodeFrame(FrameType.Hello, encodeJson(hello)));
    peer.#writer.flush();
    await peer.#joinedP;
    return peer;
  }

  /** Joins as the talker: it knows (and tags for) every member from the start. */
  static talker(
    port: number,
    key: RoomKey,
    nick: string,
    tlsAnchor: string | null = null,
    ledger: VoiceLedger | null = null,
  ): Promise<VoicePeer> {
    return VoicePeer.join(port, key, nick, null, "*", tlsAnchor, ledger);
  }

  #admit(m: Member): void {
    if (this.#admits !== "all" && this.#admits !== m.nick) return;
    const a = this.group.admit(m);
    if (a.kind !== "ok") return;
    for (const early of this.group.takeEarlyShares(a.peer)) this.#take(m.id, early);
    // A verifier asks the talker for its keys (the talker answers with a share).
    if (this.#admits === m.nick) this.#send(this.group.shareFor(a.peer, true));
  }

  #keyShare(payload: Uint8Array): void {
    const { from, body } = splitKeyShare(payload);
    this.#take(from, body);
  }

  #take(from: number, body: Uint8Array): void {
    try {
      const taken = this.group.takeShare(from, body);
      if (taken?.request) this.#send(this.group.shareFor(taken.peer));
    } catch {
      this.failed++;
    }
  }

  #send(share: Uint8Array | null): void {
    if (!share) return;
    this.#writer.queue(encodeFrame(FrameType.KeyShare, share));
    this.#writer.flush();
  }

  #verify(payload: Uint8Array): void {
    try {
      const { id, tag, sealed } = splitListenerVoice(payload);
      if (this.group.openVoice(id, tag, sealed)) this.verified++;
      else this.failed++;
    } catch {
      this.failed++;
    }
  }

  /** Asks for the floor and waits for the grant. */
  async talk(): Promise<void> {
    this.#writer.queue(encodeFrame(FrameType.Talk, encodeJson({ on: true })));
    this.#writer.flush();
    await this.#grantedP;
  }

  /** Resolves once a verifying listener holds `talker`'s keys. */
  async keyed(talker: string): Promise<void> {
    while (!(this.group.peerByNick(talker)?.voice.length)) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Seals one Opus packet under the voice chain, tags it for every listener,
   * notes it in the talker's ledger (if any) and queues it.
   */
  sendVoice(packet: Uint8Array): void {
    this.sendSealed(this.sealVoice(packet));
  }

  /**
   * Seals one Opus packet under the voice chain and tags it for every listener, as
   * {@linkcode sendVoice} does, and notes it in the ledger, without sending it: a bench
   * can seal a talk ahead so the generator's core is not spent on it in the window.
   */
  sealVoice(packet: Uint8Array): Uint8Array {
    const payload = this.group.sealVoice(packet);
    this.#ledger?.record(payload);
    return payload;
  }

  /** Queues a payload from {@linkcode sealVoice} as a voice frame. */
  sendSealed(payload: Uint8Array): void {
    this.#writer.queue(encodeFrame(FrameType.Voice, payload));
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
