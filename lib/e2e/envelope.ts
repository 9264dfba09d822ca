/**
 * The byte layout of sealed texts, voice frames and key shares, given the keys
 * (pure: no member state). Every message has its own AES-256-GCM key from a
 * sender chain (see ratchet.ts), so a nonce is never reused.
 *
 * Text: `2 | 1 | session(16) | epoch(u16) | index(u32)` in clear, then, sealed, the
 * sender's Ed25519 signature over the header, room, nick and body, then the
 * body; 16-byte tag. Signing inside the seal keeps a bit flipped on the way
 * reported as tampering, while a member who holds the sender key but not the
 * sender's identity key can only produce a `forged` text.
 *
 * Voice: `epoch(u16) | index(u32)`, ciphertext, 8-byte GCM tag; the sender's session and
 * nick come from the member list and are bound as associated data. Each
 * listener's 4-byte tag of the sealed frame (voice_tag.ts) proves the frame came
 * from the sender and not from another member who also holds the sender key.
 *
 * Key share: `seq(u32)`, then AES-256-GCM under the pair's share key of a
 * flags byte (bit 0: "send me your keys again") and the sender's text and
 * voice chain states. The request flag rides inside the seal, so the relay
 * cannot tell a request from a plain share.
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { CipherError } from "../cipher.ts";
import { concatBytes } from "../framing.ts";
import type { ChainState } from "./ratchet.ts";
import { SIGNATURE_BYTES } from "./identity.ts";

/** Envelope version byte. */
export const ENVELOPE_VERSION = 2;
/** Bytes of a session id. */
export const SESSION_BYTES = 16;
/** Bytes of a text's clear header. */
export const TEXT_HEADER_BYTES = 2 + SESSION_BYTES + 2 + 4;
/** GCM tag of a text. */
export const TEXT_TAG_BYTES = 16;
/** Clear epoch and counter of a voice frame. */
export const VOICE_HEADER_BYTES = 6;
/** GCM tag of a voice frame. */
export const VOICE_TAG_BYTES = 8;

const KIND = { text: 1, voice: 2, share: 3 } as const;
const encoder = new TextEncoder();

function nonce(kind: number, index: number, epoch = 0): Uint8Array {
  const iv = new Uint8Array(12);
  iv[0] = kind;
  new DataView(iv.buffer).setUint16(4, epoch);
  new DataView(iv.buffer).setUint32(8, index);
  return iv;
}

function withName(s: string): Uint8Array {
  const b = encoder.encode(s);
  return concatBytes([new Uint8Array([b.length]), b]);
}

/** The associated data of a message: its header, the room and the sender's nick. */
export function associatedData(
  kind: "text" | "voice",
  session: Uint8Array,
  at: MessageAt,
  room: string,
  nick: string,
): Uint8Array {
  const head = new Uint8Array(TEXT_HEADER_BYTES);
  head[0] = ENVELOPE_VERSION;
  head[1] = KIND[kind];
  head.set(session, 2);
  new DataView(head.buffer).setUint16(2 + SESSION_BYTES, at.epoch);
  new DataView(head.buffer).setUint32(4 + SESSION_BYTES, at.index);
  return concatBytes([head, withName(room), withName(nick)]);
}

function gcmSeal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, tagLen: number, p: Uint8Array) {
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagLen });
  c.setAAD(aad);
  const body = c.update(p);
  c.final();
  return concatBytes([body, c.getAuthTag()]);
}

function gcmOpen(
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  tagLen: number,
  sealed: Uint8Array,
): Uint8Array {
  try {
    const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: tagLen });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - tagLen));
    const plain = d.update(sealed.subarray(0, sealed.length - tagLen));
    d.final();
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
  } catch (cause) {
    throw new CipherError("tampered", "message failed authentication", { cause });
  }
}

/** Where a message sits in its sender's chains. */
export interface MessageAt {
  /** The chain's epoch. */
  epoch: number;
  /** Message number. */
  index: number;
}

/** The clear header of a sealed text. */
export interface TextHeader extends MessageAt {
  /** Sender session. */
  session: Uint8Array;
}

/** Reads a sealed text's header; throws `tampered` for anything malformed. */
export function textHeader(sealed: Uint8Array): TextHeader {
  if (
    sealed.length < TEXT_HEADER_BYTES + SIGNATURE_BYTES + TEXT_TAG_BYTES ||
    sealed[0] !== ENVELOPE_VERSION || sealed[1] !== KIND.text
  ) {
    throw new CipherError("tampered", "sealed text is malformed");
  }
  const session = sealed.slice(2, 2 + SESSION_BYTES);
  const view = new DataView(sealed.buffer, sealed.byteOffset);
  return {
    session,
    epoch: view.getUint16(2 + SESSION_BYTES),
    index: view.getUint32(4 + SESSION_BYTES),
  };
}

/** Seals a text body; `sign` is the sender's identity signature. */
export function sealText(
  mk: Uint8Array,
  session: Uint8Array,
  at: MessageAt,
  room: string,
  nick: string,
  body: Uint8Array,
  sign: (data: Uint8Array) => Uint8Array,
): Uint8Array {
  const aad = associatedData("text", session, at, room, nick);
  const sig = sign(concatBytes([aad, body]));
  const sealed = gcmSeal(
    mk,
    nonce(KIND.text, at.index, at.epoch),
    aad,
    TEXT_TAG_BYTES,
    concatBytes([sig, body]),
  );
  return concatBytes([aad.subarray(0, TEXT_HEADER_BYTES), sealed]);
}

/**
 * Opens a text: `tampered` when the seal fails; otherwise the body and the
 * signature, and the bytes it must cover, for the caller to check.
 */
export function openText(
  mk: Uint8Array,
  h: TextHeader,
  room: string,
  nick: string,
  sealed: Uint8Array,
): { body: Uint8Array; sig: Uint8Array; signed: Uint8Array } {
  const aad = associatedData("text", h.session, h, room, nick);
  const inner = gcmOpen(
    mk,
    nonce(KIND.text, h.index, h.epoch),
    aad,
    TEXT_TAG_BYTES,
    sealed.subarray(TEXT_HEADER_BYTES),
  );
  const sig = inner.subarray(0, SIGNATURE_BYTES);
  const body = inner.subarray(SIGNATURE_BYTES);
  return { body, sig, signed: concatBytes([aad, body]) };
}

/** Seals a voice frame: counter, ciphertext, 8-byte tag. */
export function sealVoice(
  mk: Uint8Array,
  session: Uint8Array,
  at: MessageAt,
  room: string,
  nick: string,
  packet: Uint8Array,
): Uint8Array {
  const aad = associatedData("voice", session, at, room, nick);
  const head = new Uint8Array(VOICE_HEADER_BYTES);
  new DataView(head.buffer).setUint16(0, at.epoch);
  new DataView(head.buffer).setUint32(2, at.index);
  const iv = nonce(KIND.voice, at.index, at.epoch);
  return concatBytes([head, gcmSeal(mk, iv, aad, VOICE_TAG_BYTES, packet)]);
}

/** The epoch and counter of a sealed voice frame; `tampered` when it is too short. */
export function voiceAt(sealed: Uint8Array): MessageAt {
  if (sealed.length < VOICE_HEADER_BYTES + VOICE_TAG_BYTES) {
    throw new CipherError("tampered", "sealed voice frame is malformed");
  }
  const view = new DataView(sealed.buffer, sealed.byteOffset);
  return { epoch: view.getUint16(0), index: view.getUint32(2) };
}

/** Opens a voice frame's ciphertext (`tampered` when it fails). */
export function openVoice(
  mk: Uint8Array,
  session: Uint8Array,
  at: MessageAt,
  room: string,
  nick: string,
  sealed: Uint8Array,
): Uint8Array {
  const aad = associatedData("voice", session, at, room, nick);
  return gcmOpen(
    mk,
    nonce(KIND.voice, at.index, at.epoch),
    aad,
    VOICE_TAG_BYTES,
    sealed.subarray(VOICE_HEADER_BYTES),
  );
}

/** What a key share carries: the sender's chain states. */
export interface ShareBody {
  /** Text chain. */
  text: ChainState;
  /** Voice chain. */
  voice: ChainState;
  /** Asks the recipient to send its own chain states again. */
  request: boolean;
}

const CHAIN_BYTES = 2 + 4 + 32;
const SHARE_PLAIN = 1 + 2 * CHAIN_BYTES;
const REQUEST_FLAG = 1;
/** Bytes of a sealed key share (without the relay's ids). */
export const SHARE_BYTES = 4 + SHARE_PLAIN + 16;

function shareAad(from: Uint8Array, to: Uint8Array): Uint8Array {
  return concatBytes([encoder.encode("audio-messenger/v2/share"), from, to]);
}

/** Seals a key share from session `from` to session `to` under the pair's share key. */
export function sealShare(
  key: Uint8Array,
  seq: number,
  from: Uint8Array,
  to: Uint8Array,
  s: ShareBody,
): Uint8Array {
  const plain = new Uint8Array(SHARE_PLAIN);
  const v = new DataView(plain.buffer);
  plain[0] = s.request ? REQUEST_FLAG : 0;
  [s.text, s.voice].forEach((c, i) => {
    const at = 1 + CHAIN_BYTES * i;
    v.setUint16(at, c.epoch);
    v.setUint32(at + 2, c.index);
    plain.set(c.key, at + 6);
  });
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, seq);
  return concatBytes([head, gcmSeal(key, nonce(KIND.share, seq), shareAad(from, to), 16, plain)]);
}

/** Opens a key share; `tampered` when it does not open (another passphrase, or forged). */
export function openShare(
  key: Uint8Array,
  from: Uint8Array,
  to: Uint8Array,
  sealed: Uint8Array,
): { seq: number; body: ShareBody } {
  if (sealed.length !== SHARE_BYTES) {
    throw new CipherError("tampered", "key share is malformed");
  }
  const seq = new DataView(sealed.buffer, sealed.byteOffset).getUint32(0);
  const plain = gcmOpen(key, nonce(KIND.share, seq), shareAad(from, to), 16, sealed.subarray(4));
  const v = new DataView(plain.buffer, plain.byteOffset);
  const chain = (at: number): ChainState => ({
    epoch: v.getUint16(at),
    index: v.getUint32(at + 2),
    key: plain.slice(at + 6, at + 38),
  });
  const request = (plain[0] & REQUEST_FLAG) !== 0;
  return { seq, body: { text: chain(1), voice: chain(1 + CHAIN_BYTES), request } };
}
