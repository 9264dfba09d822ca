/**
 * A room member built for tests on the real end-to-end code ({@linkcode GroupSession})
 * but driven by hand over a raw TCP connection: it holds the passphrase and a
 * valid identity of its own, takes part in key distribution like any client,
 * and can also send frames no honest client would (texts and voice claiming
 * another member's session). Its in-memory keys are reachable, so a test can
 * show what they would open.
 *
 * @module
 */

import { deriveRoomKey, newSessionId, toHex } from "../../lib/cipher.ts";
import { encodeFrame, FrameDecoder } from "../../lib/framing.ts";
import { connectRelay } from "./harness.ts";
import {
  decodeJson,
  encodeJson,
  encodeTaggedVoice,
  encodeUtf8,
  FrameType,
  type Member,
  PROTOCOL_VERSION,
  splitKeyShare,
  type Welcome,
} from "../../lib/protocol.ts";
import { GroupSession, type Peer } from "../../lib/e2e/group.ts";
import { Identity } from "../../lib/e2e/identity.ts";
import { sealText, sealVoice } from "../../lib/e2e/envelope.ts";

/** A hand-driven member of a room. */
export class RawMember {
  readonly group: GroupSession;
  readonly conn: Deno.Conn;
  /** Frames received, by type. */
  readonly received: { type: number; payload: Uint8Array }[] = [];
  /** The welcome, once received. */
  welcome: Welcome | null = null;
  #n = 0;
  readonly #waiters = new Set<() => void>();
  readonly done: Promise<void>;

  private constructor(group: GroupSession, conn: Deno.Conn) {
    this.group = group;
    this.conn = conn;
    this.done = this.#read();
  }

  /** Connects to the relay on `port` and says hello with a signed member entry. */
  static async join(
    port: number,
    nick: string,
    o: { room?: string; passphrase?: string; identity?: Identity } = {},
  ): Promise<RawMember> {
    const room = o.room ?? "lobby";
    const key = await deriveRoomKey(o.passphrase ?? "test passphrase", room);
    const group = new GroupSession(key, nick, o.identity ?? Identity.generate(), newSessionId());
    const conn = await connectRelay(port);
    const m = new RawMember(group, conn);
    await m.write(encodeFrame(
      FrameType.Hello,
      encodeJson({
        v: PROTOCOL_VERSION,
        nick,
        room,
        session: toHex(group.session),
        keyId: group.keyId,
        ...group.helloFields(),
      }),
    ));
    await m.until(() => m.welcome !== null, "welcome");
    return m;
  }

  /** Writes raw bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  /** Waits until `pred` holds (checked after each frame). */
  until(pred: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** The peer with this nick, once its keys have arrived. */
  keyed(nick: string): Peer | undefined {
    const p = this.group.peerByNick(nick);
    return p && p.text.length > 0 ? p : undefined;
  }

  /** Seals and sends any body bytes as a text of its own (valid JSON or not). */
  async sendBody(body: Uint8Array): Promise<void> {
    await this.write(encodeFrame(FrameType.Text, this.group.sealText(body)));
  }

  /** Sends an honest text. */
  async sendText(text: string): Promise<void> {
    const body = encodeUtf8(JSON.stringify({ n: ++this.#n, text, ts: Date.now() }));
    await this.write(encodeFrame(FrameType.Text, this.group.sealText(body)));
  }

  /**
   * A text claiming to be `victim`'s: sealed under the victim's own sender
   * key (which every member holds), at the victim's next message number, but
   * signed with this member's identity (the only one it has).
   */
  forgeText(victim: Peer, text: string, index: number): Uint8Array {
    const chain = victim.text[victim.text.length - 1];
    const found = chain.find(index);
    if (typeof found === "string") throw new Error(`no key for ${index}: ${found}`);
    const body = encodeUtf8(JSON.stringify({ n: 1_000_000 + index, text, ts: Date.now() }));
    return sealText(
      found.mk,
      victim.session,
      { epoch: chain.epoch, index },
      this.group.room,
      victim.member.nick,
      body,
      (d) => this.group.identity.sign(d),
    );
  }

  /**
   * A voice frame claiming to be `victim`'s, sealed under the victim's voice
   * key, with this member's own pairwise tags (it has no other).
   */
  forgeVoice(victim: Peer, packet: Uint8Array, index: number): Uint8Array {
    const chain = victim.voice[victim.voice.length - 1];
    const found = chain.find(index);
    if (typeof found === "string") throw new Error(`no key for ${index}: ${found}`);
    const sealed = sealVoice(
      found.mk,
      victim.session,
      { epoch: chain.epoch, index },
      this.group.room,
      victim.member.nick,
      packet,
    );
    // Tags under this member's own pair keys: the only ones it can make.
    const own = this.group.sealVoice(packet);
    const n = own[0];
    const tags: [number, Uint8Array][] = [];
    for (let i = 0; i < n; i++) {
      const at = 1 + i * 6;
      tags.push([(own[at] << 8) | own[at + 1], own.subarray(at + 2, at + 6)]);
    }
    return encodeTaggedVoice(tags, sealed);
  }

  /** Leaves (bye) and closes. */
  async leave(): Promise<void> {
    await this.write(encodeFrame(FrameType.Bye, encodeJson({ reason: "leaving" }))).catch(() => {});
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    await this.done;
  }

  async #share(peer: Peer | null): Promise<void> {
    const payload = peer && this.group.shareFor(peer);
    if (payload) await this.write(encodeFrame(FrameType.KeyShare, payload));
  }

  async #handle(type: number, payload: Uint8Array): Promise<void> {
    switch (type) {
      case FrameType.Welcome: {
        const w = decodeJson<Welcome>(payload);
        for (const m of w.members) {
          const a = this.group.admit(m);
          if (a.kind === "ok") await this.#share(a.peer);
        }
        this.welcome = w;
        return;
      }
      case FrameType.Joined: {
        const a = this.group.admit(decodeJson<Member>(payload));
        if (a.kind === "ok") await this.#share(a.peer);
        return;
      }
      case FrameType.Left:
        this.group.remove(decodeJson<Member>(payload));
        return;
      case FrameType.KeyShare: {
        const { from, body } = splitKeyShare(payload);
        this.group.takeShare(from, body);
        return;
      }
    }
  }

  async #read(): Promise<void> {
    const decoder = new FrameDecoder(1 << 20);
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        for (const f of decoder.push(buf.subarray(0, n))) {
          this.received.push(f);
          await this.#handle(f.type, f.payload).catch(() => {});
          for (const w of [...this.#waiters]) w();
        }
      }
    } catch {
      // Closed.
    }
  }
}
