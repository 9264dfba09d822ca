/**
 * Who may talk, as the relay runs it: a member's request to take or give up
 * the floor, checked with the cluster in half duplex (where a member of
 * another relay may hold it), and the talk-state announcements that follow.
 *
 * @module
 */

import { encodeFrame } from "../framing.ts";
import { encodeJson, FrameType } from "../protocol.ts";
import type { LogValue } from "../log.ts";
import type { RelayCluster } from "./cluster_link.ts";
import type { RelayConnection } from "./connection.ts";
import type { Room } from "./room.ts";

/** What floor control needs from its relay. */
export interface FloorHost {
  /** The cluster this relay is part of, or null. */
  readonly cluster: RelayCluster | null;
  /** Logs one event. */
  log(event: string, fields: Record<string, LogValue>): void;
}

/** Handles a member's request to take (`on`) or give up the floor. */
export function requestFloor(host: FloorHost, conn: RelayConnection, on: boolean): void {
  const room = conn.room!;
  const nick = conn.member.nick;
  if (!on) {
    if (room.floor.release(nick)) announceTalk(host, room, nick, false);
    return;
  }
  const decision = room.floor.request(nick);
  if (!decision.granted) {
    conn.sendControl(FrameType.FloorDenied, { holder: decision.holder });
    return;
  }
  conn.lastVoice = Date.now();
  const cluster = host.cluster;
  if (decision.changed && cluster && room.floor.duplex === "half") {
    // Held here provisionally (no one else on this relay gets it meanwhile)
    // until the cluster says whether a member of another relay holds it.
    cluster.claimFloor(room, nick).then((holder) => {
      if (holder !== null) {
        room.floor.release(nick);
        if (!conn.closed) conn.sendControl(FrameType.FloorDenied, { holder });
      } else if (conn.closed || !room.floor.mayTalk(nick)) {
        host.cluster?.releaseFloor(room, nick);
      } else {
        conn.lastVoice = Date.now();
        announceTalk(host, room, nick, true);
      }
    });
    return;
  }
  // Also tell the talker, as its grant, even when it was already talking.
  if (decision.changed) announceTalk(host, room, nick, true);
  else conn.sendControl(FrameType.TalkState, { nick, on: true });
}

/** Tells the room (and, when it ends, the cluster) that `nick` started or stopped talking. */
export function announceTalk(host: FloorHost, room: Room, nick: string, on: boolean): void {
  if (!on) host.cluster?.releaseFloor(room, nick);
  room.broadcast(encodeFrame(FrameType.TalkState, encodeJson({ nick, on })), "control");
  host.log(on ? "talk-start" : "talk-end", { nick, room: room.name });
}
