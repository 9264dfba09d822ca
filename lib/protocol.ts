/**
 * The Audio Messenger wire protocol: frame types, the control messages both
 * sides exchange (JSON payloads), the binary layout of relayed data frames, and
 * the rules for nicks and room names. Frame types, error codes, payload text,
 * data frame layouts and the voice payload have modules of their own, re-exported
 * here: importers need only this one.
 *
 * Control frames (hello, welcome, joins, errors, floor) are small JSON objects.
 * Data frames (text and voice) carry sealed bytes that the relay forwards
 * untouched, prefixed with the sender it stamps: the nick for text, the
 * member id for voice (two bytes instead of a nick keeps voice under 32 kbit/s).
 *
 * @module
 */

export * from "./frame_type.ts";
export * from "./protocol_error.ts";
export * from "./payload_codec.ts";
export * from "./data_frames.ts";
export * from "./voice_payload.ts";

import { type ErrorCode, ProtocolError } from "./protocol_error.ts";
import { decodeJson, encodeUtf8 } from "./payload_codec.ts";

/** Protocol version carried in the hello and bound into every sealed payload. */
export const PROTOCOL_VERSION = 1;

/** Default relay port, the original project's. */
export const DEFAULT_PORT = 9001;

/** First frame from a client. */
export interface Hello {
  /** Protocol version the client speaks. */
  v: number;
  /** The nick wanted in the room. */
  nick: string;
  /** The room to join. */
  room: string;
  /** The client's sender session id, hex: lets receivers open its voice frames. */
  session: string;
  /** Key id of the room key the client derived, hex: lets members spot a passphrase mismatch at once. */
  keyId: string;
  /** True when the client is coming back after a lost connection: send it the room's recent texts. */
  resume?: boolean;
  /** Identity public key (Ed25519), hex. */
  identity?: string;
  /** This run's key-agreement public key (X25519), hex. */
  ephemeral?: string;
  /** Identity signature of the member entry, hex (the relay passes it on unread). */
  sig?: string;
}

/** A room member as the relay announces it. */
export interface Member {
  /** Nick, unique in the room. */
  nick: string;
  /** Relay-assigned id stamped on this member's voice frames. */
  id: number;
  /** Sender session id, hex. */
  session: string;
  /** Key id, hex. */
  keyId: string;
  /** Identity public key, hex (from the hello, unchecked by the relay). */
  identity?: string;
  /** Key-agreement public key, hex. */
  ephemeral?: string;
  /** Identity signature of the entry, hex. */
  sig?: string;
}

/** The relay's answer to an accepted hello. */
export interface Welcome {
  /** Protocol version of the relay. */
  v: number;
  /** The joiner's own entry. */
  self: Member;
  /** The room joined. */
  room: string;
  /** Floor mode of the room. */
  duplex: "half" | "full";
  /** Everyone already in the room, the joiner included. */
  members: Member[];
  /** Who holds the floor, if anyone (half duplex) or who is talking (full). */
  talking: string[];
  /** Limits the client should pace itself by. */
  limits: {
    textRate: number;
    textBurst: number;
    maxFrame: number;
    keyShareRate?: number;
    keyShareBurst?: number;
  };
}

/** Body of an error frame. */
export interface ErrorBody {
  /** Machine-readable code. */
  code: ErrorCode;
  /** One line for a person. */
  message: string;
  /** True when the relay closes the connection after it. */
  fatal?: boolean;
}

/** Answer to a who request. */
export interface WhoReply {
  /** The room listed. */
  room: string;
  /** Nicks in the room. */
  members: string[];
}

/** A client asking for, or giving up, the floor. */
export interface TalkRequest {
  /** True to start talking, false to stop. */
  on: boolean;
}

/** A member started or stopped talking. */
export interface TalkState {
  /** Who. */
  nick: string;
  /** True when talking started. */
  on: boolean;
}

/** The floor is held by someone else. */
export interface FloorDenied {
  /** The holder's nick. */
  holder: string;
}

/** Reason for an orderly end of the connection. */
export interface Bye {
  /** Why. */
  reason: string;
}

/** Longest nick, in UTF-8 bytes. */
export const MAX_NICK_BYTES = 32;
/** Longest room name, in UTF-8 bytes. */
export const MAX_ROOM_BYTES = 64;

// Letters, digits, marks and a few punctuation marks; no spaces, controls,
// format characters (bidi overrides) or separators.
const NAME_PATTERN = /^[\p{L}\p{N}\p{M}_.\-]+$/u;

/**
 * Checks a nick or room name; returns a message for a person, or null when it
 * is acceptable. Both sides use it: the client to fail early, the relay to refuse.
 */
export function nameProblem(kind: "nick" | "room", name: unknown, maxBytes: number): string | null {
  if (typeof name !== "string" || name.length === 0) return `${kind} is empty`;
  if (encodeUtf8(name).length > maxBytes) return `${kind} is longer than ${maxBytes} bytes`;
  if (name.normalize("NFC") !== name) return `${kind} is not in Unicode normal form C`;
  if (!NAME_PATTERN.test(name)) {
    return `${kind} may hold only letters, digits and _ . - (no spaces or control characters)`;
  }
  return null;
}

/** Validates a hello payload; returns it, or throws a {@linkcode ProtocolError}. */
export function parseHello(
  payload: Uint8Array,
  limits: { maxNick: number; maxRoom: number } = {
    maxNick: MAX_NICK_BYTES,
    maxRoom: MAX_ROOM_BYTES,
  },
): Hello {
  const hello = decodeJson<Partial<Hello>>(payload);
  if (hello.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      "bad-version",
      `protocol version ${hello.v} is not supported (relay speaks ${PROTOCOL_VERSION}); upgrade the client`,
    );
  }
  const problem = nameProblem("nick", hello.nick, limits.maxNick) ??
    nameProblem("room", hello.room, limits.maxRoom);
  if (problem) throw new ProtocolError("bad-hello", problem);
  if (typeof hello.session !== "string" || !/^[0-9a-f]{32}$/.test(hello.session)) {
    throw new ProtocolError("bad-hello", "hello has no valid session id");
  }
  if (typeof hello.keyId !== "string" || !/^[0-9a-f]{16}$/.test(hello.keyId)) {
    throw new ProtocolError("bad-hello", "hello has no valid key id");
  }
  for (const [field, hexLength] of [["identity", 64], ["ephemeral", 64], ["sig", 128]] as const) {
    const value = hello[field];
    if (
      value !== undefined &&
      (typeof value !== "string" || value.length !== hexLength || !/^[0-9a-f]+$/.test(value))
    ) {
      throw new ProtocolError("bad-hello", `hello has an invalid ${field}`);
    }
  }
  return hello as Hello;
}
