/**
 * One room as a cluster member sees it: the relay's {@linkcode Room} with the
 * members of other relays mirrored into it (as {@linkcode RemoteMember}s, from
 * the presence bucket), and the frames other relays publish on the room's
 * subject fanned out to the local members. It knows no transport: the NATS
 * cluster (cluster.ts) and the workers of one relay (lib/workers/) both use it. Floor changes of remote members
 * are mirrored into the room's floor, so the welcome, `/who` and local floor
 * decisions see the whole room.
 *
 * @module
 */

import { encodeFrame } from "../framing.ts";
import {
  decodeJson,
  encodeJson,
  FrameType,
  splitKeyShare,
  splitNickStamp,
  type TalkState,
} from "../protocol.ts";
import { recentTextsOf } from "../relay/room_history.ts";
import { RemoteMember } from "./remote_member.ts";
import type { Member } from "../protocol.ts";
import type { Room } from "../relay/room.ts";

/** The room-wide member list a link mirrors: who is where, by room and nick. */
export interface PresenceView {
  /** The entry of `nick` in `room`, if any: its relay (or worker) and member. */
  get(room: string, nick: string): { relay: string; member: Member } | undefined;
}

/** What a room link needs from its cluster. */
export interface LinkContext {
  /** This relay's id. */
  readonly id: string;
  /** The cluster-wide member list. */
  readonly presence: PresenceView;
  /** Whether a relay is alive. */
  alive(relay: string): boolean;
}

/** A room linked to the cluster. */
export class RoomLink {
  /** The relay's room. */
  readonly room: Room;
  /** Members of other relays, by nick. */
  readonly remotes = new Map<string, RemoteMember>();
  /** Local members whose floor claim is in flight (held here provisionally, never announced). */
  readonly claiming = new Set<string>();
  /** Where the room's frames come from (a NATS subscription); ended by {@linkcode unlink}. */
  sub: { unsubscribe(): void } | null = null;
  readonly #ctx: LinkContext;

  /** A link for `room`; fill it with {@linkcode sync}. */
  constructor(room: Room, ctx: LinkContext) {
    this.room = room;
    this.#ctx = ctx;
  }

  /** Local members of the room. */
  get localCount(): number {
    return this.room.size - this.remotes.size;
  }

  /** Makes the room's entry for `nick` match the presence bucket (unless a local member has it). */
  sync(nick: string): void {
    const room = this.room;
    const cur = room.get(nick);
    const entry = this.#ctx.presence.get(room.name, nick);
    const want = entry && entry.relay !== this.#ctx.id && this.#ctx.alive(entry.relay)
      ? entry
      : null;
    if (cur && !(cur instanceof RemoteMember)) {
      // The member moved to another relay while its old connection here lingers.
      if (want && want.member.session === cur.member.session) {
        cur.close?.("moved to another relay of the cluster");
      }
      return;
    }
    if (cur) {
      const same = want && cur.relay === want.relay && cur.member.id === want.member.id &&
        cur.member.session === want.member.session;
      if (same) return;
      this.drop(cur);
    }
    if (!want) return;
    const rm: RemoteMember = new RemoteMember(want.member, want.relay, () => this.drop(rm));
    room.fanOut(encodeFrame(FrameType.Joined, encodeJson(want.member)), "control");
    room.add(rm);
    this.remotes.set(nick, rm);
  }

  /** Takes a remote member out, telling the local members (talk end, then leave). */
  drop(rm: RemoteMember): void {
    const nick = rm.member.nick;
    if (this.remotes.get(nick) !== rm) return;
    this.remotes.delete(nick);
    if (this.room.remove(rm)) this.#tell(nick, false);
    this.room.fanOut(encodeFrame(FrameType.Left, encodeJson(rm.member)), "control");
  }

  /** Handles a frame another relay published for this room. */
  inbound(frame: Uint8Array): void {
    switch (frame[4]) {
      case FrameType.Text: {
        // Kept with the local texts, so a member who fails over to this relay and
        // resumes also gets what crossed from other relays while it was away.
        const { nick } = splitNickStamp(frame.subarray(5));
        recentTextsOf(this.room).add(nick, frame, Date.now());
        return this.room.fanOut(frame, "text");
      }
      case FrameType.Voice: {
        const payload = frame.subarray(5);
        if (payload.length < 3) return;
        return this.room.fanOutVoice((payload[0] << 8) | payload[1], payload.subarray(2));
      }
      case FrameType.KeyShare: {
        const { to } = splitKeyShare(frame.subarray(5));
        const d = this.room.byId(to);
        if (d && !d.remote) d.deliver(frame, "control");
        return;
      }
      case FrameType.TalkState: {
        const t = decodeJson<TalkState>(frame.subarray(5));
        if (this.remotes.has(t.nick)) this.remoteTalk(t.nick, t.on === true);
        return;
      }
    }
  }

  /** Mirrors a remote member's floor change here and tells the local members. */
  remoteTalk(nick: string, on: boolean): void {
    const { floor } = this.room;
    if (!on) {
      if (floor.release(nick)) this.#tell(nick, false);
      return;
    }
    if (floor.mayTalk(nick)) return;
    if (floor.duplex === "half") {
      // The bucket gave it to them: whoever this relay thought held it no longer does.
      for (const other of floor.talkers) {
        if (floor.release(other) && !this.claiming.has(other)) this.#tell(other, false);
      }
    }
    floor.request(nick);
    this.#tell(nick, true);
  }

  /** Unlinks the room: remote members out (silently: nobody local is left), no more frames. */
  unlink(): void {
    for (const rm of this.remotes.values()) this.room.remove(rm);
    this.remotes.clear();
    this.sub?.unsubscribe();
    this.room.uplink = null;
  }

  #tell(nick: string, on: boolean): void {
    this.room.fanOut(encodeFrame(FrameType.TalkState, encodeJson({ nick, on })), "control");
  }
}
