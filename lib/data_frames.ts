/**
 * Binary layouts of the data frames besides voice (lib/voice_payload.ts): the
 * sender stamp the relay puts before a relayed text (the nick) or voice frame (the
 * member id), the ack of a text, and the member ids of an addressed key share.
 *
 * @module
 */

import { decodeUtf8, encodeUtf8 } from "./payload_codec.ts";
import { ProtocolError } from "./protocol_error.ts";

/** Status byte of an ack: the text was forwarded to the room. */
export const ACK_FORWARDED = 0;
/** Status byte of an ack: the text was refused by the rate limit; send it again later. */
export const ACK_RATE_LIMITED = 1;

/** Builds the nick stamp the relay puts before a relayed sealed text. */
export function nickStamp(nick: string): Uint8Array {
  const bytes = encodeUtf8(nick);
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

/** Splits an addressed key share as the relay forwards it: sender id, recipient id, sealed bytes. */
export function splitKeyShare(payload: Uint8Array): { from: number; to: number; body: Uint8Array } {
  if (payload.length < 4) throw new ProtocolError("bad-frame", "key share has no member ids");
  return {
    from: (payload[0] << 8) | payload[1],
    to: (payload[2] << 8) | payload[3],
    body: payload.subarray(4),
  };
}
