/**
 * What the relay does with each frame of a member that has joined: texts are
 * stamped with the sender, forwarded to the room and acknowledged; voice is
 * checked against the floor and the voice rate and fanned out; a key share is
 * stamped with both ids and passed to its one recipient; the rest are answered
 * or refused. Payloads stay sealed: this handles them as opaque bytes.
 *
 * @module
 */

import { encodeFrame, encodeFrameParts } from "../framing.ts";
import {
  ACK_FORWARDED,
  ACK_RATE_LIMITED,
  decodeJson,
  encodeAck,
  type ErrorCode,
  FrameType,
  nickStamp,
  ProtocolError,
  type TalkRequest,
} from "../protocol.ts";
import type { RelayConnection } from "./connection.ts";
import type { RelayContext } from "./context.ts";
import type { Room } from "./room.ts";
import { recentTextsOf } from "./room_history.ts";

const PONG = encodeFrame(FrameType.Pong);

/** Handles one frame of a joined member; a malformed one throws {@linkcode ProtocolError}. */
export function handleMemberFrame(
  c: RelayConnection,
  ctx: RelayContext,
  room: Room,
  type: number,
  payload: Uint8Array,
): void {
  switch (type) {
    case FrameType.Text:
      return text(c, room, payload);
    case FrameType.Voice:
      return voice(c, room, payload);
    case FrameType.KeyShare:
      return keyShare(c, room, payload);
    case FrameType.Talk:
      return ctx.talk(c, decodeJson<TalkRequest>(payload).on === true);
    case FrameType.Who:
      return c.sendControl(FrameType.WhoReply, {
        room: room.name,
        members: room.members().map((m) => m.nick),
      });
    case FrameType.Ping:
      c.reply(PONG);
      return;
    case FrameType.Pong:
      return;
    case FrameType.Bye:
      return c.close("left");
    case FrameType.Hello:
      return badFrame(c, "bad-hello", "already joined; a connection says hello once");
    default:
      return badFrame(c, "bad-frame", `unknown frame type ${type}`);
  }
}

/**
 * Answers a malformed frame of a joined member with a non-fatal error, unless
 * the peer keeps sending them: then the connection is closed.
 */
export function badFrame(c: RelayConnection, code: ErrorCode, message: string): void {
  if (c.limits.badFrame(Date.now())) return c.error(code, message);
  c.fail("bad-frame", `too many malformed frames (last: ${message}); connection closed`);
}

function text(c: RelayConnection, room: Room, sealed: Uint8Array): void {
  const seq = ++c.textsSent;
  if (!c.limits.text(Date.now())) {
    c.reply(encodeFrame(FrameType.Ack, encodeAck(seq, ACK_RATE_LIMITED)));
    c.error("rate-limited", "too many messages; the client will resend after a pause");
    return;
  }
  const ack = encodeFrame(FrameType.Ack, encodeAck(seq, ACK_FORWARDED));
  c.textStamp ??= nickStamp(c.member.nick);
  const frame = encodeFrameParts(FrameType.Text, c.textStamp, sealed);
  const relayed = room.broadcast(frame, "text", c);
  recentTextsOf(room).add(c.member.nick, frame, Date.now());
  // In a cluster the ack waits until NATS has the text: a relay that dies
  // after acknowledging has lost nothing the client would not resend.
  if (relayed) relayed.then(() => c.reply(ack));
  else c.reply(ack);
}

function voice(c: RelayConnection, room: Room, tagged: Uint8Array): void {
  if (!room.floor.mayTalk(c.member.nick)) return;
  const now = Date.now();
  const verdict = c.limits.voice(now);
  if (verdict !== "pass") {
    // Voice is useless late: drop it, as a network would, but say so (once a second).
    if (verdict === "drop-and-tell") {
      c.error("rate-limited", "too many voice frames; some were dropped");
    }
    return;
  }
  c.lastVoice = now;
  room.broadcastVoice(c, tagged);
}

/** An addressed key share: stamped with both ids and passed to that member only. */
function keyShare(c: RelayConnection, room: Room, payload: Uint8Array): void {
  if (payload.length < 2) throw new ProtocolError("bad-frame", "key share has no recipient");
  if (!c.limits.keyShare(Date.now())) {
    c.error("rate-limited", "too many key shares; some were dropped");
    return;
  }
  const from = c.member.id;
  const ids = new Uint8Array([from >>> 8, from & 0xff, payload[0], payload[1]]);
  const to = (payload[0] << 8) | payload[1];
  if (to === from) return;
  room.sendTo(to, encodeFrameParts(FrameType.KeyShare, ids, payload.subarray(2)));
}
