/**
 * Bench only: the per-session envelope clients used before sender keys. A
 * sender's AES-256-GCM key is derived from the room key and its session (so
 * anyone with the passphrase can read it: no forward secrecy, and members can
 * pass as each other); nonces are per-kind counters. The relay's text load
 * generators (bench/am_driver.ts) seal and verify with it: the relay cannot
 * tell envelopes apart, and the generators need realistic sealing cost for
 * thousands of clients without a pairwise key exchange among them. The
 * forward-secrecy test's attacker also tries it, to show recordings do not
 * open under a passphrase-derived key. Clients never import this file.
 *
 * Text: `version | kind | key id | session | u64 counter`, ciphertext, 16-byte
 * tag. Voice: `u32 counter`, ciphertext, 8-byte tag.
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  CipherError,
  fromHex,
  hkdf,
  KEY_ID_BYTES,
  newSessionId,
  type RoomKey,
  SESSION_BYTES,
  toHex,
} from "../lib/cipher.ts";

/** The envelope version byte of this format. */
export const LEGACY_VERSION = 1;
/** Bytes of the clear header before a sealed text. */
export const TEXT_HEADER_BYTES = 2 + KEY_ID_BYTES + SESSION_BYTES + 8;
/** Bytes of the clear counter before a sealed voice frame. */
export const VOICE_HEADER_BYTES = 4;
/** GCM tag length of a text envelope. */
export const TEXT_TAG_BYTES = 16;
/** GCM tag length of a voice envelope. */
export const VOICE_TAG_BYTES = 8;

/** What a sealed payload carries. */
export type Kind = "text" | "voice";
const KIND_BYTE: Record<Kind, number> = { text: 1, voice: 2 };
const encoder = new TextEncoder();

function senderKey(room: RoomKey, session: Uint8Array): Uint8Array {
  const info = new Uint8Array(6 + session.length);
  info.set(encoder.encode("sender"));
  info.set(session, 6);
  return hkdf(room.secret, info, 32);
}

function nonce(kind: Kind, counter: number): Uint8Array {
  const iv = new Uint8Array(12);
  iv[0] = KIND_BYTE[kind];
  new DataView(iv.buffer).setBigUint64(4, BigInt(counter));
  return iv;
}

/** The header every envelope is bound to, whether or not it travels in clear. */
function header(kind: Kind, keyId: Uint8Array, session: Uint8Array, counter: number): Uint8Array {
  const h = new Uint8Array(TEXT_HEADER_BYTES);
  h[0] = LEGACY_VERSION;
  h[1] = KIND_BYTE[kind];
  h.set(keyId, 2);
  h.set(session, 2 + KEY_ID_BYTES);
  new DataView(h.buffer).setBigUint64(2 + KEY_ID_BYTES + SESSION_BYTES, BigInt(counter));
  return h;
}

function associatedData(head: Uint8Array, room: string, nick: string): Uint8Array {
  const r = encoder.encode(room);
  const n = encoder.encode(nick);
  const out = new Uint8Array(head.length + 2 + r.length + n.length);
  out.set(head);
  out[head.length] = r.length;
  out.set(r, head.length + 1);
  out[head.length + 1 + r.length] = n.length;
  out.set(n, head.length + 2 + r.length);
  return out;
}

function seal(
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  tagLength: number,
  plain: Uint8Array,
) {
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagLength });
  c.setAAD(aad);
  const body = c.update(plain);
  c.final();
  return { body, tag: c.getAuthTag() };
}

function open(
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  tagLength: number,
  body: Uint8Array,
  tag: Uint8Array,
): Uint8Array {
  try {
    const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: tagLength });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const plain = d.update(body);
    d.final();
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
  } catch (cause) {
    throw new CipherError("tampered", "message failed authentication", { cause });
  }
}

/** Seals this client's outgoing text and voice under its own sender key. */
export class Sealer {
  readonly #room: RoomKey;
  readonly #key: Uint8Array;
  readonly #nick: string;
  #textCounter = 0;
  #voiceCounter = 0;
  /** This sender's session id. */
  readonly session: Uint8Array;

  /** `nick` is the sender's own nick as the relay will stamp it. */
  constructor(room: RoomKey, nick: string, session: Uint8Array = newSessionId()) {
    this.#room = room;
    this.#nick = nick;
    this.session = session;
    this.#key = senderKey(room, session);
  }

  /** Seals a text payload: clear header, then ciphertext and a 16-byte tag. */
  sealText(plain: Uint8Array): Uint8Array {
    const counter = ++this.#textCounter;
    const head = header("text", this.#room.keyId, this.session, counter);
    const aad = associatedData(head, this.#room.room, this.#nick);
    const { body, tag } = seal(this.#key, nonce("text", counter), aad, TEXT_TAG_BYTES, plain);
    const out = new Uint8Array(head.length + body.length + tag.length);
    out.set(head);
    out.set(body, head.length);
    out.set(tag, head.length + body.length);
    return out;
  }

  /** Seals a voice frame: 4-byte counter, ciphertext, 8-byte tag. */
  sealVoice(plain: Uint8Array): Uint8Array {
    const counter = ++this.#voiceCounter;
    if (counter > 0xffffffff) throw new RangeError("voice counter exhausted; restart the client");
    const head = header("voice", this.#room.keyId, this.session, counter);
    const aad = associatedData(head, this.#room.room, this.#nick);
    const { body, tag } = seal(this.#key, nonce("voice", counter), aad, VOICE_TAG_BYTES, plain);
    const out = new Uint8Array(VOICE_HEADER_BYTES + body.length + tag.length);
    new DataView(out.buffer).setUint32(0, counter);
    out.set(body, VOICE_HEADER_BYTES);
    out.set(tag, VOICE_HEADER_BYTES + body.length);
    return out;
  }
}

/** An opened payload with the counter it came under. */
export interface Opened {
  /** The plaintext. */
  plain: Uint8Array;
  /** The sender's counter for this kind. */
  counter: number;
  /** The sender session, hex. */
  session: string;
}

/** The sender a voice frame is attributed to, from the room's member list. */
export interface VoiceSender {
  /** Nick. */
  nick: string;
  /** Session id, hex. */
  session: string;
  /** Key id, hex. */
  keyId: string;
}

const REPLAY_WINDOW = 4096;

/** Opens payloads from other members and refuses replays. */
export class Opener {
  readonly #room: RoomKey;
  readonly #keyIdHex: string;
  readonly #keys = new Map<string, Uint8Array>();
  readonly #seen = new Map<string, { highest: number; recent: Set<number> }>();

  /** Opens payloads sealed under `room`. */
  constructor(room: RoomKey) {
    this.#room = room;
    this.#keyIdHex = toHex(room.keyId);
  }

  /** Hex key id of this room key. */
  get keyId(): string {
    return this.#keyIdHex;
  }

  /** Opens a text relayed with `nick` stamped on it. */
  openText(nick: string, sealed: Uint8Array): Opened {
    if (sealed.length < TEXT_HEADER_BYTES + TEXT_TAG_BYTES || sealed[1] !== KIND_BYTE.text) {
      throw new CipherError("tampered", "sealed text is malformed");
    }
    if (sealed[0] !== LEGACY_VERSION) {
      throw new CipherError("tampered", "unknown envelope version");
    }
    const keyId = sealed.subarray(2, 2 + KEY_ID_BYTES);
    if (toHex(keyId) !== this.#keyIdHex) {
      throw new CipherError("bad-passphrase", `messages from ${nick} use a different passphrase`);
    }
    const session = sealed.slice(2 + KEY_ID_BYTES, 2 + KEY_ID_BYTES + SESSION_BYTES);
    const counter = Number(
      new DataView(sealed.buffer, sealed.byteOffset).getBigUint64(2 + KEY_ID_BYTES + SESSION_BYTES),
    );
    const head = sealed.subarray(0, TEXT_HEADER_BYTES);
    const aad = associatedData(head, this.#room.room, nick);
    const body = sealed.subarray(TEXT_HEADER_BYTES, sealed.length - TEXT_TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TEXT_TAG_BYTES);
    const sessionHex = toHex(session);
    const plain = open(
      this.#key(session, sessionHex),
      nonce("text", counter),
      aad,
      TEXT_TAG_BYTES,
      body,
      tag,
    );
    this.#checkReplay(`t${sessionHex}`, counter, nick);
    return { plain, counter, session: sessionHex };
  }

  /** Opens a voice frame from a member whose session and key id the relay announced. */
  openVoice(sender: VoiceSender, sealed: Uint8Array): Opened {
    if (sender.keyId !== this.#keyIdHex) {
      throw new CipherError(
        "bad-passphrase",
        `voice from ${sender.nick} uses a different passphrase`,
      );
    }
    if (sealed.length < VOICE_HEADER_BYTES + VOICE_TAG_BYTES) {
      throw new CipherError("tampered", "sealed voice frame is malformed");
    }
    const counter = new DataView(sealed.buffer, sealed.byteOffset).getUint32(0);
    const session = fromHex(sender.session);
    const head = header("voice", this.#room.keyId, session, counter);
    const aad = associatedData(head, this.#room.room, sender.nick);
    const body = sealed.subarray(VOICE_HEADER_BYTES, sealed.length - VOICE_TAG_BYTES);
    const tag = sealed.subarray(sealed.length - VOICE_TAG_BYTES);
    const key = this.#key(session, sender.session);
    const plain = open(key, nonce("voice", counter), aad, VOICE_TAG_BYTES, body, tag);
    this.#checkReplay(`v${sender.session}`, counter, sender.nick);
    return { plain, counter, session: sender.session };
  }

  #key(session: Uint8Array, hex: string): Uint8Array {
    let key = this.#keys.get(hex);
    if (!key) {
      key = senderKey(this.#room, session);
      this.#keys.set(hex, key);
    }
    return key;
  }

  // Checked after authentication, so a forged counter cannot poison the window.
  #checkReplay(stream: string, counter: number, nick: string): void {
    let state = this.#seen.get(stream);
    if (!state) {
      state = { highest: 0, recent: new Set() };
      this.#seen.set(stream, state);
    }
    if (counter <= state.highest - REPLAY_WINDOW || state.recent.has(counter)) {
      throw new CipherError("replayed", `a message from ${nick} was replayed`);
    }
    state.recent.add(counter);
    if (counter > state.highest) state.highest = counter;
    if (state.recent.size > REPLAY_WINDOW) {
      for (const c of state.recent) if (c <= state.highest - REPLAY_WINDOW) state.recent.delete(c);
    }
  }
}
