/**
 * A room as the relay keeps it: its members by nick, the two-byte ids stamped
 * on their voice, and its floor. It fans frames out to members through the
 * {@linkcode Delivery} each one provides, and knows nothing of sockets.
 *
 * @module
 */

import { type Duplex, Floor } from "./floor.ts";
import { FrameType, idStamp, type Member } from "../protocol.ts";
import { ListenerVoice } from "./listener_voice.ts";
import { inSlices } from "./slices.ts";
import { encodeFrameParts } from "../framing.ts";
import type { Priority } from "../send_queue.ts";

/** How a room reaches one member. */
export interface Delivery {
  /** The member's public entry. */
  readonly member: Member;
  /** Queues a frame to this member; false when it was dropped. */
  deliver(frame: Uint8Array, priority: Priority): boolean;
  /** Ends this member's presence (a new connection of the same session replaces it). */
  close?(reason: string): void;
  /** True for a member of another relay of the cluster (its relay delivers to it). */
  readonly remote?: boolean;
}

/**
 * Where a room's own broadcasts also go besides its members (a cluster of
 * relays); a promise means "the frame has left this relay" once it settles.
 */
export type Uplink = (frame: Uint8Array, priority: Priority) => Promise<void> | undefined;

const MAX_ID = 0xffff;

/** One room on the relay. */
export class Room {
  /** Room name. */
  readonly name: string;
  /** Who may talk. */
  readonly floor: Floor;
  readonly #members = new Map<string, Delivery>();
  readonly #ids = new Map<number, Delivery>();
  readonly #sliced: boolean;
  #nextId = 1;
  /** Ids this relay may hand out, inclusive (a cluster gives each relay its own range). */
  idRange: [number, number] = [1, MAX_ID];
  /** Also receives every {@linkcode broadcast}; null on a relay of its own. */
  uplink: Uplink | null = null;

  /**
   * An empty room with the given floor mode. `sliced`: voice is handed to its members
   * 128 a turn (slices.ts), which Deno's socket writes need; with the epoll backend
   * each voice write is a direct `send` and one loop serves every member.
   */
  constructor(name: string, duplex: Duplex, sliced = true) {
    this.name = name;
    this.floor = new Floor(duplex);
    this.#sliced = sliced;
  }

  /** Number of members. */
  get size(): number {
    return this.#members.size;
  }

  /** Whether a nick is taken. */
  has(nick: string): boolean {
    return this.#members.has(nick);
  }

  /** The member with this nick, if any. */
  get(nick: string): Delivery | undefined {
    return this.#members.get(nick);
  }

  /** The member with this id, if any. */
  byId(id: number): Delivery | undefined {
    return this.#ids.get(id);
  }

  /** A free member id, or null when the room is full. */
  allocateId(): number | null {
    const [lo, hi] = this.idRange;
    if (this.#nextId < lo || this.#nextId > hi) this.#nextId = lo;
    for (let tries = hi - lo + 1; tries > 0; tries--) {
      const id = this.#nextId;
      this.#nextId = id >= hi ? lo : id + 1;
      if (!this.#ids.has(id)) return id;
    }
    return null;
  }

  /** Adds a member whose nick is free and whose id came from {@linkcode allocateId}. */
  add(d: Delivery): void {
    this.#members.set(d.member.nick, d);
    this.#ids.set(d.member.id, d);
  }

  /** Removes a member; returns whether it held or shared the floor. */
  remove(d: Delivery): boolean {
    if (this.#members.get(d.member.nick) !== d) return false;
    this.#members.delete(d.member.nick);
    this.#ids.delete(d.member.id);
    return this.floor.release(d.member.nick);
  }

  /** Public entries of every member. */
  members(): Member[] {
    return [...this.#members.values()].map((d) => d.member);
  }

  /**
   * Queues one frame to every member except `except`, and hands it to the
   * {@linkcode uplink} if there is one; returns the uplink's promise.
   */
  broadcast(frame: Uint8Array, priority: Priority, except?: Delivery): Promise<void> | undefined {
    this.fanOut(frame, priority, except);
    return this.uplink?.(frame, priority);
  }

  /**
   * Sends a talker's voice (listener tags, then the sealed frame) to every
   * member but the talker, each with only its own tag, and to the uplink whole.
   */
  broadcastVoice(from: Delivery, tagged: Uint8Array): void {
    this.fanOutVoice(from.member.id, tagged);
    this.uplink?.(encodeFrameParts(FrameType.Voice, idStamp(from.member.id), tagged), "voice");
  }

  /** Sends a talker's tagged voice to the local members, each with its own tag. */
  fanOutVoice(fromId: number, tagged: Uint8Array): void {
    // One shared frame for the untagged listeners, one buffer for the tagged ones.
    const voice = new ListenerVoice(fromId, tagged);
    const give = (d: Delivery) => {
      if (d.member.id !== fromId && !d.remote) d.deliver(voice.for(d.member.id), "voice");
    };
    if (this.#sliced) inSlices([...this.#members.values()], give);
    else for (const d of this.#members.values()) give(d);
  }

  /** Sends an addressed frame to member `to`: here, or through the uplink to its relay. */
  sendTo(to: number, frame: Uint8Array): void {
    const d = this.#ids.get(to);
    if (!d) return;
    if (d.remote) this.uplink?.(frame, "control");
    else d.deliver(frame, "control");
  }

  /** Queues one frame to every member except `except`, and nowhere else. */
  fanOut(frame: Uint8Array, priority: Priority, except?: Delivery): void {
    for (const d of this.#members.values()) if (d !== except) d.deliver(frame, priority);
  }
}
