/**
 * The seam between a {@linkcode Relay} and the cluster it may belong to. The
 * relay imports only this type (erased at run time), so a relay started
 * without `--nats` never loads the NATS client; `lib/cluster/cluster.ts` implements it.
 *
 * The relay keeps deciding everything it decides alone (admission, rate
 * limits, floor timeouts); the cluster is told about each change and makes
 * the room span relays: it fills the room with the members of other relays,
 * carries the room's frames to them, and arbitrates the half-duplex floor.
 *
 * @module
 */

import type { ErrorCode, Member } from "../protocol.ts";
import type { Room } from "./room.ts";

/** A local member as the cluster sees it: its entry, and a way to turn it away. */
export interface LocalMember {
  /** The member's public entry. */
  readonly member: Member;
  /** Whether its connection has ended. */
  readonly closed: boolean;
  /** Sends a fatal error and closes the connection. */
  fail(code: ErrorCode, message: string): void;
}

/** What a relay tells its cluster, and asks of it. */
export interface RelayCluster {
  /**
   * A room got its first local member: link it to the cluster. Synchronously
   * sets the room's id range and uplink and adds the members of other relays,
   * so the nick check and the welcome that follow see the whole room.
   */
  openRoom(room: Room): void;
  /**
   * The relay may forget `room` unless local members remain: when none do,
   * the cluster unlinks it and removes the other relays' members from it.
   */
  roomIdle(room: Room): void;
  /** A local member was admitted to `room`: announce it cluster-wide. */
  memberJoined(room: Room, local: LocalMember): void;
  /** A local member left `room`: withdraw it cluster-wide. */
  memberLeft(room: Room, member: Member): void;
  /**
   * Claims the half-duplex floor of `room` for a local member across the
   * cluster: resolves null when it is granted, or the holder's nick.
   */
  claimFloor(room: Room, nick: string): Promise<string | null>;
  /** The local member `nick` stopped talking (request, timeout or leave). */
  releaseFloor(room: Room, nick: string): void;
  /**
   * The recent texts of `room` as the other relays kept them, except those of
   * `nick`: the longest answer within a short wait, for a member that resumes here.
   */
  recentTexts(room: Room, nick: string): Promise<Uint8Array[]>;
  /** Withdraws this relay from the cluster and closes the NATS connection. */
  close(): Promise<void>;
}
