/**
 * Names and envelopes of the relay cluster on NATS. Room names and nicks are
 * Unicode, while NATS subjects and key-value keys allow only a few ASCII
 * characters, so both travel as unpadded base64url (which has no `.`, `*`,
 * `>` or spaces). A room's frames travel on `am.room.<room>` inside an
 * envelope: the 8-byte id of the relay that published it, then the frame
 * exactly as the relay sends it to its clients (stamp and sealed payload).
 *
 * @module
 */

import type { Member } from "../protocol.ts";

/** Bytes of a relay id in an envelope. */
export const RELAY_ID_BYTES = 8;
/** Prefix of every room subject. */
export const ROOM_SUBJECT_PREFIX = "am.room.";
/** Key-value bucket of member presence: key `<room>.<nick>`, value {@linkcode PresenceValue}. */
export const PRESENCE_BUCKET = "am_presence";
/** Key-value bucket of floor holders: key `<room>`, value {@linkcode FloorValue}; entries expire. */
export const FLOOR_BUCKET = "am_floor";
/** Key-value bucket of live relays: key `slot.<n>`, value {@linkcode SlotValue}; entries expire. */
export const RELAYS_BUCKET = "am_relays";

/** A member's presence entry: who, and on which relay. */
export interface PresenceValue {
  /** Id of the relay the member is connected to. */
  relay: string;
  /** The member's public entry. */
  member: Member;
}

/** The floor entry of a half-duplex room. */
export interface FloorValue {
  /** Id of the holder's relay. */
  relay: string;
  /** The holder. */
  nick: string;
}

/** A relay's heartbeat entry. */
export interface SlotValue {
  /** Id of the relay holding the slot. */
  relay: string;
  /** When it started (ms since epoch). */
  started: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A name as a subject token or key part: unpadded base64url of its UTF-8. */
export function encodeName(name: string): string {
  let bin = "";
  for (const b of encoder.encode(name)) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The inverse of {@linkcode encodeName}. */
export function decodeName(token: string): string {
  const b64 = token.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
  return decoder.decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The subject a room's frames travel on. */
export function roomSubject(room: string): string {
  return ROOM_SUBJECT_PREFIX + encodeName(room);
}

/** The presence key of a member. */
export function presenceKey(room: string, nick: string): string {
  return `${encodeName(room)}.${encodeName(nick)}`;
}

/** Splits a presence key into room and nick; null for a key of another shape. */
export function parsePresenceKey(key: string): { room: string; nick: string } | null {
  const parts = key.split(".");
  if (parts.length !== 2) return null;
  try {
    return { room: decodeName(parts[0]), nick: decodeName(parts[1]) };
  } catch {
    return null;
  }
}

/** A new random relay id, as hex. */
export function newRelayId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(RELAY_ID_BYTES)));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Wraps a frame with the publishing relay's id (`origin`, as bytes). */
export function sealEnvelope(origin: Uint8Array, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(RELAY_ID_BYTES + frame.length);
  out.set(origin, 0);
  out.set(frame, RELAY_ID_BYTES);
  return out;
}

/** Splits an envelope into the origin relay id (hex) and the frame; null when too short. */
export function openEnvelope(data: Uint8Array): { origin: string; frame: Uint8Array } | null {
  if (data.length < RELAY_ID_BYTES + 5) return null;
  return {
    origin: toHex(data.subarray(0, RELAY_ID_BYTES)),
    frame: data.subarray(RELAY_ID_BYTES),
  };
}

/** A relay id (hex) as envelope bytes. */
export function relayIdBytes(id: string): Uint8Array {
  return Uint8Array.from(id.match(/../g)!, (h) => parseInt(h, 16));
}

/** Encodes a key-value value as JSON bytes. */
export function encodeValue(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Decodes a key-value JSON value; null when it does not parse. */
export function decodeValue<T>(bytes: Uint8Array): T | null {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch {
    return null;
  }
}
