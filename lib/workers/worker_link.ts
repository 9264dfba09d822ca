/**
 * A worker's rooms as parts of the relay's rooms: the {@linkcode RelayCluster}
 * a worker's relay uses, over the channel to the hub instead of NATS. Members
 * of other workers are mirrored into each open room as remote members (the
 * same {@linkcode RoomLink} a NATS cluster uses), so the nick check, the
 * welcome, `/who` and voice id lookups see the whole room; the room's frames
 * go to the hub, which passes them to the other workers with members in it;
 * the hub holds the half-duplex floor and answers history questions.
 *
 * @module
 */

import { idRangeOf } from "../cluster/id_range.ts";
import { type PresenceView, RoomLink } from "../cluster/room.ts";
import type { LogValue } from "../log.ts";
import { FrameType, type Member } from "../protocol.ts";
import type { LocalMember, RelayCluster } from "../relay/cluster_link.ts";
import type { Room } from "../relay/room.ts";
import { recentTextsOf } from "../relay/room_history.ts";
import type { HubChannel } from "./hub_channel.ts";
import { type FromHub, type ToHub, workerRelayId } from "./messages.ts";

/** Largest history answer, as between relays of a cluster. */
const MAX_HISTORY_BYTES = 256 * 1024;

type Entry = { relay: string; member: Member };

/** Every room's members on the other workers, as the hub announced them. */
class PresenceMirror implements PresenceView {
  readonly #rooms = new Map<string, Map<string, Entry>>();

  get(room: string, nick: string): Entry | undefined {
    return this.#rooms.get(room)?.get(nick);
  }

  /** Nicks of `room` on other workers. */
  nicks(room: string): string[] {
    return [...this.#rooms.get(room)?.keys() ?? []];
  }

  set(room: string, nick: string, entry: Entry | null): void {
    let nicks = this.#rooms.get(room);
    if (entry) {
      if (!nicks) this.#rooms.set(room, nicks = new Map());
      nicks.set(nick, entry);
    } else if (nicks?.delete(nick) && nicks.size === 0) {
      this.#rooms.delete(room);
    }
  }
}

/** One worker's part of the relay's rooms. */
export class WorkerLink implements RelayCluster {
  readonly #index: number;
  readonly #hub: HubChannel;
  readonly #log: (event: string, fields: Record<string, LogValue>) => void;
  readonly #presence = new PresenceMirror();
  /** Half-duplex floor holders of other workers, by room (for rooms opened later). */
  readonly #holders = new Map<string, string>();
  readonly #rooms = new Map<string, RoomLink>();
  /** This worker's members by room and nick, to turn away one that lost a nick race. */
  readonly #locals = new Map<string, LocalMember>();
  #outRooms: string[] = [];
  #outFrames: Uint8Array[] = [];

  /** Worker `index`'s link, talking to the hub through `hub`. */
  constructor(
    index: number,
    hub: HubChannel,
    log: (event: string, fields: Record<string, LogValue>) => void,
  ) {
    this.#index = index;
    this.#hub = hub;
    this.#log = log;
  }

  /** Handles a message of the hub that is no answer to a request. */
  handle(msg: FromHub): void {
    switch (msg.t) {
      case "present":
        this.#presence.set(msg.room, msg.nick, msg.entry);
        return this.#rooms.get(msg.room)?.sync(msg.nick);
      case "refused":
        return this.#refused(msg.room, msg.member);
      case "floor":
        if (msg.nick === null) this.#holders.delete(msg.room);
        else this.#holders.set(msg.room, msg.nick);
        return;
      case "frames":
        for (let i = 0; i < msg.frames.length; i++) {
          this.#rooms.get(msg.rooms[i])?.inbound(msg.frames[i]);
        }
        return;
      case "history-ask": {
        const room = this.#rooms.get(msg.room)?.room;
        const frames = room
          ? recentTextsOf(room).except(msg.nick, Date.now(), MAX_HISTORY_BYTES)
          : [];
        return this.#send({ t: "history-answer", ask: msg.ask, frames });
      }
    }
  }

  openRoom(room: Room): void {
    room.idRange = idRangeOf(this.#index);
    const link = new RoomLink(room, {
      id: workerRelayId(this.#index),
      presence: this.#presence,
      alive: () => true, // a worker that dies takes the whole relay down
    });
    const name = room.name;
    room.uplink = (frame) => {
      const type = frame[4];
      // Presence travels through the hub's own messages.
      if (type === FrameType.Joined || type === FrameType.Left) return undefined;
      this.#queueFrame(name, frame);
      return undefined;
    };
    this.#rooms.set(name, link);
    for (const nick of this.#presence.nicks(name)) link.sync(nick);
    const holder = this.#holders.get(name);
    if (holder !== undefined && link.remotes.has(holder)) link.remoteTalk(holder, true);
  }

  roomIdle(room: Room): void {
    const link = this.#rooms.get(room.name);
    if (!link || link.room !== room || link.localCount > 0) return;
    link.unlink();
    this.#rooms.delete(room.name);
  }

  /**
   * Queues a frame for the hub. The frames of one turn of the event loop go in
   * one message (sent once the turn's reads are handled), so the other workers
   * get a burst as a burst and write it to each socket at once.
   */
  #queueFrame(room: string, frame: Uint8Array): void {
    // A copy of its own, moved to the hub: the original stays in local send queues.
    this.#outRooms.push(room);
    if (this.#outFrames.push(frame.slice()) === 1) queueMicrotask(() => this.#flushFrames());
  }

  /** Sends the queued frames; also before any other message, so the hub sees everything in order. */
  #flushFrames(): void {
    if (this.#outFrames.length === 0) return;
    const frames = this.#outFrames;
    const rooms = this.#outRooms;
    this.#outFrames = [];
    this.#outRooms = [];
    this.#hub.send({ t: "frames", rooms, frames }, frames.map((f) => f.buffer as ArrayBuffer));
  }

  /** Sends a message of this worker's own, after the frames queued before it. */
  #send(msg: ToHub): void {
    this.#flushFrames();
    this.#hub.send(msg);
  }

  memberJoined(room: Room, local: LocalMember): void {
    const { nick, session } = local.member;
    // The same session was on another worker (a client back before its old connection
    // timed out): that entry is now this one, and the hub tells only the other workers.
    if (this.#presence.get(room.name, nick)?.member.session === session) {
      this.#presence.set(room.name, nick, null);
    }
    this.#locals.set(localKey(room.name, nick), local);
    this.#send({ t: "join", room: room.name, member: local.member });
  }

  memberLeft(room: Room, member: Member): void {
    const key = localKey(room.name, member.nick);
    if (this.#locals.get(key)?.member === member) this.#locals.delete(key);
    this.#send({ t: "leave", room: room.name, member });
    this.#rooms.get(room.name)?.sync(member.nick);
  }

  claimFloor(room: Room, nick: string): Promise<string | null> {
    const link = this.#rooms.get(room.name);
    link?.claiming.add(nick);
    this.#flushFrames();
    return this.#hub.request<string | null>((seq) => ({ t: "claim", seq, room: room.name, nick }))
      .finally(() => link?.claiming.delete(nick));
  }

  releaseFloor(room: Room, nick: string): void {
    this.#send({ t: "release", room: room.name, nick });
  }

  recentTexts(room: Room, nick: string): Promise<Uint8Array[]> {
    this.#flushFrames();
    return this.#hub.request((seq) => ({ t: "history", seq, room: room.name, nick }));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #refused(room: string, member: Member): void {
    const key = localKey(room, member.nick);
    const local = this.#locals.get(key);
    if (!local || local.member.id !== member.id || local.closed) return;
    this.#locals.delete(key);
    this.#log("nick-race", { nick: member.nick, room });
    local.fail("nick-taken", `the nick ${member.nick} was just taken in ${room} on another worker`);
  }
}

function localKey(room: string, nick: string): string {
  return `${room}\n${nick}`;
}
