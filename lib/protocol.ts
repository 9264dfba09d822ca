/**
 * The Audio Messenger wire protocol: frame types, the control messages both
 * sides exchange (JSON payloads), the binary layout of relayed data frames, and
 * the rules for nicks and room names.
 *
 * Control frames (hello, welcome, joins, errors, floor) are small JSON objects.
 * Data frames (text and voice) carry sealed bytes that the relay forwards
 * untouched, prefixed with the sender it stamps: the nick for text, the
 * member id for voice (two bytes instead of a nick keeps voice under 32 kbit/s).
 *
 * @module
 */

/** Protocol version carried in the hello and bound into every sealed payload. */
export const PROTOCOL_VERSION = 1;

/** Default relay port, the original project's. */
export const DEFAULT_PORT = 9001;

/** Frame types on the wire. */
export const FrameType = {
  /** c→s JSON {@linkcode Hello}: first frame of every connection. */
  Hello: 0x01,
  /** s→c JSON {@linkcode Welcome}: the hello was accepted. */
  Welcome: 0x02,
  /** s→c JSON {@linkcode ErrorBody}. */
  Error: 0x03,
  /** s→c JSON {@linkcode Member}: someone joined the room. */
  Joined: 0x04,
  /** s→c JSON {@linkcode Member}: someone left the room. */
  Left: 0x05,
  /** c→s, empty: list the room. */
  Who: 0x06,
  /** s→c JSON {@linkcode WhoReply}. */
  WhoReply: 0x07,
  /** c→s sealed text; s→c nick-stamped sealed text. */
  Text: 0x10,
  /** s→c u32 sequence + u8 status: the n-th text of this connection was handled. */
  Ack: 0x11,
  /** c→s sealed voice; s→c member-id-stamped sealed voice. */
  Voice: 0x12,
  /** c→s JSON {@linkcode TalkRequest}: take or release the floor. */
  Talk: 0x13,
  /** s→c JSON {@linkcode TalkState}: someone started or stopped talking. */
  TalkState: 0x14,
  /** s→c JSON {@linkcode FloorDenied}: the floor is held by another member. */
  FloorDenied: 0x15,
  /** both ways, JSON {@linkcode Bye}: orderly end of the connection. */
  Bye: 0x16,
  /** both ways, empty: keepalive request. */
  Ping: 0x17,
  /** both ways, empty: keepalive answer. */
  Pong: 0x18,
  /**
   * c→s `u16 to` + sealed key share for one member; s→c `u16 from, u16 to` +
   * the same bytes, delivered to that member only.
   */
  KeyShare: 0x19,
} as const;

/** Numeric frame type. */
export type FrameTypeValue = typeof FrameType[keyof typeof FrameType];

/** Error codes a relay or client reports. */
export type ErrorCode =
  | "bad-passphrase"
  | "tampered"
  | "replayed"
  | "forged"
  | "nick-taken"
  | "server-full"
  | "frame-too-large"
  | "disconnected"
  | "unreachable"
  | "bad-frame"
  | "bad-hello"
  | "bad-version"
  | "hello-timeout"
  | "rate-limited"
  | "too-many-connections"
  | "slow-consumer"
  | "shutdown"
  | "no-audio"
  | "audio"
  | "relay-key-changed"
  | "tls-failed";

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

/** Status byte of an ack: the text was forwarded to the room. */
export const ACK_FORWARDED = 0;
/** Status byte of an ack: the text was refused by the rate limit; send it again later. */
export const ACK_RATE_LIMITED = 1;

/** Longest nick, in UTF-8 bytes. */
export const MAX_NICK_BYTES = 32;
/** Longest room name, in UTF-8 bytes. */
export const MAX_ROOM_BYTES = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a control message as a JSON payload. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Raised for a payload that does not parse as the message its frame type names. */
export class ProtocolError extends TypeError {
  /** Code to report to the peer. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/** Decodes a JSON payload into an object; anything else is a {@linkcode ProtocolError}. */
export function decodeJson<T>(payload: Uint8Array): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (cause) {
    throw new ProtocolError("bad-frame", "control frame is not valid UTF-8 JSON", { cause });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ProtocolError("bad-frame", "control frame is not a JSON object");
  }
  return value as T;
}

/** Decodes UTF-8 strictly; invalid bytes are a {@linkcode ProtocolError}. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError("bad-frame", "invalid UTF-8", { cause });
  }
}

/** Encodes a string as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

// Letters, digits, marks and a few punctuation marks; no spaces, controls,
// format characters (bidi overrides) or separators.
const NAME_PATTERN = /^[\p{L}\p{N}\p{M}_.\-]+$/u;

/**
 * Checks a nick or room name; returns a message for a person, or null when it
 * is acceptable. Both sides use it: the client to fail early, the relay to refuse.
 */
export function nameProblem(kind: "nick" | "room", name: unknown, maxBytes: number): string | null {
  if (typeof name !== "string" || name.length === 0) return `${kind} is empty`;
  if (encoder.encode(name).length > maxBytes) return `${kind} is longer than ${maxBytes} bytes`;
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

/** Builds the nick stamp the relay puts before a relayed sealed text. */
export function nickStamp(nick: string): Uint8Array {
  const bytes = encoder.encode(nick);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** Splits a relayed text payload into the stamped nick and the sealed bytes. */
export function splitNickStamp(payload: Uint8Array): { nick: string; sealed: Uint8Array } {
  if (payload.length < 1 || payload.length < 1 + payload[0]) {
    throw new ProtocolError("bad-frame", "relayed text is shorter than its nick stamp");
  }
  const n = payload[0];
  return { nick: decodeUtf8(payload.subarray(1, 1 + n)), sealed: payload.subarray(1 + n) };
}

/** Builds the two-byte member-id stamp the relay puts before a relayed voice frame. */
export function idStamp(id: number): Uint8Array {
  return new Uint8Array([id >>> 8, id & 0xff]);
}

/** Splits a relayed voice payload into the member id and the sealed bytes. */
export function splitIdStamp(payload: Uint8Array): { id: number; sealed: Uint8Array } {
  if (payload.length < 2) throw new ProtocolError("bad-frame", "relayed voice has no member id");
  return { id: (payload[0] << 8) | payload[1], sealed: payload.subarray(2) };
}

/** Encodes an ack: the connection's `seq`-th text (1-based) and what became of it. */
export function encodeAck(seq: number, status: number): Uint8Array {
  const out = new Uint8Array(5);
  new DataView(out.buffer).setUint32(0, seq);
  out[4] = status;
  return out;
}

/** Decodes an ack payload. */
export function decodeAck(payload: Uint8Array): { seq: number; status: number } {
  if (payload.length !== 5) throw new ProtocolError("bad-frame", "ack is not 5 bytes");
  const view = new DataView(payload.buffer, payload.byteOffset, 5);
  return { seq: view.getUint32(0), status: payload[4] };
}

/** Bytes of one listener's tag on a voice frame. */
export const VOICE_PAIR_TAG_BYTES = 4;
const TAG_ENTRY = 2 + VOICE_PAIR_TAG_BYTES;

/**
 * Builds a talker's voice payload: `u8 n`, n × (`u16 member id`, 4-byte tag),
 * then the sealed frame. The relay hands each listener only its own tag.
 */
export function encodeTaggedVoice(tags: [number, Uint8Array][], sealed: Uint8Array): Uint8Array {
  if (tags.length > 255) throw new RangeError("at most 255 listener tags per frame");
  const out = new Uint8Array(1 + tags.length * TAG_ENTRY + sealed.length);
  out[0] = tags.length;
  tags.forEach(([id, tag], i) => {
    const at = 1 + i * TAG_ENTRY;
    out[at] = id >>> 8;
    out[at + 1] = id & 0xff;
    out.set(tag.subarray(0, VOICE_PAIR_TAG_BYTES), at + 2);
  });
  out.set(sealed, 1 + tags.length * TAG_ENTRY);
  return out;
}

/** A talker's voice payload, split: listener tags by member id, and the sealed frame. */
export interface TaggedVoice {
  /** Tag offsets in the payload by member id. */
  tags: Map<number, number>;
  /** The sealed frame. */
  sealed: Uint8Array;
}

/** Splits a talker's voice payload; a malformed one is a {@linkcode ProtocolError}. */
export function splitTaggedVoice(payload: Uint8Array): TaggedVoice {
  const n = payload[0] ?? 0;
  const end = 1 + n * TAG_ENTRY;
  if (payload.length < 1 || payload.length < end) {
    throw new ProtocolError("bad-frame", "voice frame is shorter than its listener tags");
  }
  const tags = new Map<number, number>();
  for (let at = 1; at < end; at += TAG_ENTRY) {
    tags.set((payload[at] << 8) | payload[at + 1], at + 2);
  }
  return { tags, sealed: payload.subarray(end) };
}

/**
 * One listener's relayed voice frame: the talker's member id, the listener's
 * tag (zeros when the talker gave none) and the sealed frame.
 */
export function voiceForListener(
  fromId: number,
  payload: Uint8Array,
  voice: TaggedVoice,
  listenerId: number,
): Uint8Array {
  const out = new Uint8Array(5 + 2 + VOICE_PAIR_TAG_BYTES + voice.sealed.length);
  const length = out.length - 4;
  out[0] = length >>> 24;
  out[1] = (length >>> 16) & 0xff;
  out[2] = (length >>> 8) & 0xff;
  out[3] = length & 0xff;
  out[4] = FrameType.Voice;
  out[5] = fromId >>> 8;
  out[6] = fromId & 0xff;
  const at = voice.tags.get(listenerId);
  if (at !== undefined) out.set(payload.subarray(at, at + VOICE_PAIR_TAG_BYTES), 7);
  out.set(voice.sealed, 7 + VOICE_PAIR_TAG_BYTES);
  return out;
}

/** Splits a relayed voice payload into the talker's id, this listener's tag and the sealed frame. */
export function splitListenerVoice(
  payload: Uint8Array,
): { id: number; tag: Uint8Array; sealed: Uint8Array } {
  if (payload.length < 2 + VOICE_PAIR_TAG_BYTES) {
    throw new ProtocolError("bad-frame", "relayed voice is shorter than its stamp and tag");
  }
  return {
    id: (payload[0] << 8) | payload[1],
    tag: payload.subarray(2, 2 + VOICE_PAIR_TAG_BYTES),
    sealed: payload.subarray(2 + VOICE_PAIR_TAG_BYTES),
  };
}

/** Splits an addressed key share as the relay forwards it: sender id, recipient id, sealed bytes. */
export function splitKeyShare(payload: Uint8Array): { from: number; to: number; body: Uint8Array } {
  if (payload.length < 4) throw new ProtocolError("bad-frame", "key share has no member ids");
  return {
    from: (payload[0] << 8) | payload[1],
    to: (payload[2] << 8) | payload[3],
    body: payload.subarray(4),
  };
}
