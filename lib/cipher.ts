/**
 * End-to-end encryption shared by clients; the relay never imports it.
 *
 * A room key comes from scrypt over the passphrase and the room name. From it,
 * HKDF derives a key id (sent in clear, so a receiver can say "this member uses
 * a different passphrase" instead of showing garbage) and one AES-256-GCM key
 * per sender session. Nonces are per-kind counters that never repeat within a
 * session. The associated data binds protocol version, key id, session,
 * counter, room, sender nick and kind, so a relay can neither re-attribute,
 * re-route nor replay a sealed payload undetected.
 *
 * Text envelopes carry their full header. Voice envelopes carry only a 4-byte
 * counter and an 8-byte tag (a tag length RFC 7714 allows for SRTP): the
 * receiver knows the sender's session and key id from the room's member list,
 * and the savings keep a voice stream under 32 kbit/s on the wire.
 *
 * @module
 */

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt } from "node:crypto";
import { PROTOCOL_VERSION } from "./protocol.ts";

/** Bytes in a key id. */
export const KEY_ID_BYTES = 8;
/** Bytes in a sender session id. */
export const SESSION_BYTES = 16;
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

/** scrypt cost parameters: about 100–200 ms on a laptop core (a guess costs an attacker that much). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const ROOM_SALT_PREFIX = "audio-messenger/v1/room/";

/** A room key with its public key id. */
export interface RoomKey {
  /** The room the key belongs to. */
  readonly room: string;
  /** HKDF-derived public identifier of the key. */
  readonly keyId: Uint8Array;
  /** The 32-byte secret. */
  readonly secret: Uint8Array;
}

/** Why a sealed payload was refused. */
export type CipherErrorCode = "bad-passphrase" | "tampered" | "replayed";

/** Raised when a sealed payload cannot be opened. */
export class CipherError extends Error {
  /** What went wrong. */
  readonly code: CipherErrorCode;
  constructor(code: CipherErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CipherError";
    this.code = code;
  }
}

const encoder = new TextEncoder();

/** Derives the room key from a passphrase (NFKC-normalised) and a room name. */
export function deriveRoomKey(passphrase: string, room: string): Promise<RoomKey> {
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize("NFKC"),
      ROOM_SALT_PREFIX + room,
      32,
      SCRYPT,
      (err, key) => {
        if (err) return reject(err);
        const secret = new Uint8Array(key);
        resolve({ room, secret, keyId: hkdf(secret, "key-id", KEY_ID_BYTES) });
      },
    );
  });
}

/** A fresh random sender session id. */
export function newSessionId(): Uint8Array {
  return new Uint8Array(randomBytes(SESSION_BYTES));
}

/** Hex form of bytes, as carried in hello and member entries. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes from their hex form. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function hkdf(secret: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", secret, new Uint8Array(0), info, length));
}

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
  h[0] = PROTOCOL_VERSION;
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
    if (sealed[0] !== PROTOCOL_VERSION) {
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
