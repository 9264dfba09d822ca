/**
 * Control frames from the relay turned into the client's events: joins and
 * leaves (which also update the member list), `/who` answers, talk state,
 * floor refusals and the relay's goodbye. The relay's JSON is read here and
 * nowhere else on the client side.
 *
 * @module
 */

import type { ClientEvent } from "./events.ts";
import {
  decodeJson,
  type FloorDenied,
  FrameType,
  type Member,
  type TalkState,
  type WhoReply,
} from "../protocol.ts";

/** The member list a join or a leave updates. */
export interface Roster {
  /** A member came. */
  add(m: Member): void;
  /** A member went. */
  remove(m: Member): void;
}

/** The frame types {@linkcode controlEvent} reads. */
export const CONTROL_TYPES: ReadonlySet<number> = new Set([
  FrameType.Joined,
  FrameType.Left,
  FrameType.WhoReply,
  FrameType.TalkState,
  FrameType.FloorDenied,
  FrameType.Bye,
]);

/** The event for one control frame of room `room` (one of {@linkcode CONTROL_TYPES}). */
export function controlEvent(
  type: number,
  payload: Uint8Array,
  room: string,
  roster: Roster,
): ClientEvent {
  switch (type) {
    case FrameType.Joined: {
      const m = decodeJson<Member>(payload);
      roster.add(m);
      return { event: "joined", nick: m.nick, room };
    }
    case FrameType.Left: {
      const m = decodeJson<Member>(payload);
      roster.remove(m);
      return { event: "left", nick: m.nick, room };
    }
    case FrameType.WhoReply: {
      const w = decodeJson<WhoReply>(payload);
      return { event: "who", room: w.room, members: w.members };
    }
    case FrameType.TalkState: {
      const t = decodeJson<TalkState>(payload);
      return { event: t.on ? "talk-start" : "talk-end", nick: t.nick, room };
    }
    case FrameType.FloorDenied: {
      const f = decodeJson<FloorDenied>(payload);
      return { event: "floor-denied", holder: f.holder, room };
    }
    case FrameType.Bye: {
      const b = decodeJson<{ reason: string }>(payload);
      return { event: "notice", message: `the relay says: ${b.reason}` };
    }
    default:
      throw new RangeError(`frame type ${type} is not a control frame`);
  }
}
