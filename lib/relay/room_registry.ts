/**
 * The rooms of one relay by name: a hello joins the room it names (opened on
 * first use, linked to the cluster if there is one), a member that leaves is
 * announced, and a room nobody on this relay is in is forgotten. A new
 * connection of the same client session replaces the old one.
 *
 * @module
 */

import { encodeFrame } from "../framing.ts";
import {
  encodeJson,
  type ErrorBody,
  FrameType,
  type Hello,
  type Member,
  PROTOCOL_VERSION,
  type Welcome,
} from "../protocol.ts";
import type { RelayConnection } from "./connection.ts";
import { announceTalk, type FloorHost } from "./floor_control.ts";
import type { RelayOptions } from "./options.ts";
import { Room } from "./room.ts";

/** What the room registry needs from its relay. */
export interface RoomHost extends FloorHost {
  /** The relay's settings (duplex, and the limits a welcome tells). */
  readonly options: RelayOptions;
}

/** The rooms of one relay. */
export class RoomRegistry {
  readonly #rooms = new Map<string, Room>();
  readonly #host: RoomHost;

  /** An empty registry for the relay `host`. */
  constructor(host: RoomHost) {
    this.#host = host;
  }

  /** Admits a connection to the room its hello names and welcomes it, or says why not. */
  join(conn: RelayConnection, hello: Hello): ErrorBody | null {
    const { cluster, options } = this.#host;
    // The same client session coming back before its old socket timed out, or, in
    // a cluster, failing over from another relay: the new connection replaces it.
    const replace = (room: Room | undefined) => {
      const same = room?.get(hello.nick);
      if (same?.close && same.member.session === hello.session) {
        same.close("replaced by a new connection of the same session");
      }
    };
    replace(this.#rooms.get(hello.room));
    let room = this.#rooms.get(hello.room);
    if (!room) {
      room = new Room(hello.room, options.duplex, options.io === "deno");
      this.#rooms.set(hello.room, room);
      cluster?.openRoom(room);
      // Opening mirrors the cluster's members, possibly this session on a dead relay.
      replace(room);
    }
    if (room.has(hello.nick)) {
      this.#release(room);
      return {
        code: "nick-taken",
        message: `the nick ${hello.nick} is taken in ${hello.room}; pick another with --nick`,
      };
    }
    const id = room.allocateId();
    if (id === null) {
      this.#release(room);
      return { code: "server-full", message: `room ${hello.room} is full` };
    }
    const member: Member = {
      nick: hello.nick,
      id,
      session: hello.session,
      keyId: hello.keyId,
      identity: hello.identity,
      ephemeral: hello.ephemeral,
      sig: hello.sig,
    };
    conn.member = member;
    conn.room = room;
    room.broadcast(encodeFrame(FrameType.Joined, encodeJson(member)), "control");
    room.add(conn);
    cluster?.memberJoined(room, conn);
    const welcome: Welcome = {
      v: PROTOCOL_VERSION,
      self: member,
      room: room.name,
      duplex: room.floor.duplex,
      members: room.members(),
      talking: room.floor.talkers,
      limits: {
        textRate: options.textRate,
        textBurst: options.textBurst,
        maxFrame: options.maxFrame,
        keyShareRate: options.keyShareRate,
        keyShareBurst: options.keyShareBurst,
      },
    };
    conn.sendControl(FrameType.Welcome, welcome);
    return null;
  }

  /** Takes a closed connection's member out of its room, if it joined one, and tells the room. */
  leave(conn: RelayConnection): void {
    const room = conn.room;
    if (!room) return;
    const wasTalking = room.remove(conn);
    if (wasTalking) announceTalk(this.#host, room, conn.member.nick, false);
    room.broadcast(encodeFrame(FrameType.Left, encodeJson(conn.member)), "control");
    this.#host.cluster?.memberLeft(room, conn.member);
    this.#release(room);
  }

  /** Forgets a room nobody on this relay is in. */
  #release(room: Room): void {
    this.#host.cluster?.roomIdle(room);
    if (room.size === 0 && this.#rooms.get(room.name) === room) this.#rooms.delete(room.name);
  }
}
