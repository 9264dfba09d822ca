/**
 * A relay's membership in a cluster of relays joined through NATS
 * (`am-server --nats URL`). Loaded only when `--nats` is given: a relay on its
 * own never imports the NATS client.
 *
 * - Frames: each open room subscribes to `am.room.<room>`; the room's text,
 *   voice and talk-state frames are published there exactly as the relay sends
 *   them to its clients (stamps and sealed bytes, in an envelope naming the
 *   relay), and each relay fans what it receives out to its local members.
 *   NATS, like the relay, sees routing metadata and ciphertext, never plaintext.
 * - Presence: the `am_presence` key-value bucket ({@linkcode Presence}).
 * - Liveness and id ranges: heartbeat slots in `am_relays` ({@linkcode Peers}).
 * - The half-duplex floor: compare-and-set in `am_floor` ({@linkcode ClusterFloor}).
 *
 * When NATS goes away the relay logs it and keeps serving its own clients;
 * nats.js reconnects and resubscribes, and the relay then re-announces its
 * members and renews its slot.
 *
 * @module
 */

import { Events, type KV, type NatsConnection } from "nats";
import { openEnvelope, presenceKey, relayIdBytes, roomSubject, sealEnvelope } from "./codec.ts";
import { type ClusterOptions, connectParts, errorMessage } from "./connect.ts";
import type { ClusterFloor } from "./floor.ts";
import { OwnPresence } from "./own_presence.ts";
import type { Presence } from "./presence.ts";
import type { Peers } from "./peers.ts";
import { encodeFrame } from "../framing.ts";
import { HistoryExchange } from "./history.ts";
import { encodeJson, FrameType, type Member } from "../protocol.ts";
import { type LinkContext, RoomLink } from "./room.ts";
import { RemoteMember } from "./remote_member.ts";
import type { LocalMember, RelayCluster } from "../relay/cluster_link.ts";
import type { Room } from "../relay/room.ts";
import type { Priority } from "../send_queue.ts";

export { ClusterError, type ClusterOptions } from "./connect.ts";

/** What a relay must offer to join: the hook it calls (see {@linkcode RelayCluster}). */
export interface ClusterHost {
  /** Installs the cluster. */
  useCluster(cluster: RelayCluster): void;
}

/** Connects to NATS, joins the cluster, and hooks `relay` into it. */
export async function joinCluster(relay: ClusterHost, o: ClusterOptions): Promise<Cluster> {
  const cluster = await Cluster.connect(o);
  relay.useCluster(cluster);
  return cluster;
}

/** This relay's part of the cluster. */
export class Cluster implements RelayCluster {
  /** This relay's id in the cluster. */
  readonly id: string;
  readonly #nc: NatsConnection;
  readonly #kv: KV;
  readonly #peers: Peers;
  readonly #presence: Presence;
  readonly #floor: ClusterFloor;
  readonly #log: ClusterOptions["log"];
  readonly #origin: Uint8Array;
  readonly #rooms = new Map<string, RoomLink>();
  readonly #own: OwnPresence;
  readonly #linkContext: LinkContext;
  #connected = true;
  readonly #history: HistoryExchange;
  #nextFlush: Promise<void> | null = null;

  private constructor(
    nc: NatsConnection,
    kv: KV,
    peers: Peers,
    presence: Presence,
    floor: ClusterFloor,
    log: ClusterOptions["log"],
  ) {
    this.#nc = nc;
    this.#kv = kv;
    this.#peers = peers;
    this.id = peers.id;
    this.#origin = relayIdBytes(peers.id);
    this.#presence = presence;
    this.#floor = floor;
    this.#log = log;
    this.#linkContext = { id: this.id, presence, alive: (relay) => peers.alive(relay) };
    presence.onChange = (room, nick) => {
      const link = this.#rooms.get(room);
      link?.sync(nick);
    };
    peers.onDeath = (relay) => this.#relayDied(relay);
    floor.onLost = (room, nick) => this.#floorLost(room, nick);
    this.#watchStatus();
    this.#own = new OwnPresence(kv, this.id, (relay) => peers.alive(relay), log);
    this.#history = new HistoryExchange(nc, (name) => this.#rooms.get(name)?.room);
  }

  recentTexts(room: Room, nick: string): Promise<Uint8Array[]> {
    return this.#history.ask(room, nick);
  }

  /** Connects and joins; throws {@linkcode ClusterError} with a message for a person. */
  static async connect(o: ClusterOptions): Promise<Cluster> {
    const p = await connectParts(o);
    const cluster = new Cluster(p.nc, p.kv, p.peers, p.presence, p.floor, o.log);
    o.log("cluster-joined", { relay: p.peers.id, slot: p.peers.slot, nats: o.servers.join(",") });
    return cluster;
  }

  openRoom(room: Room): void {
    room.idRange = this.#peers.idRange();
    const link = new RoomLink(room, this.#linkContext);
    const subject = roomSubject(room.name);
    link.sub = this.#nc.subscribe(subject, {
      callback: (err, msg) => {
        const env = err ? null : openEnvelope(msg.data);
        if (env && env.origin !== this.id) link.inbound(env.frame);
      },
    });
    room.uplink = (frame, priority) => this.#publish(subject, frame, priority);
    this.#rooms.set(room.name, link);
    for (const nick of this.#presence.nicks(room.name)) link.sync(nick);
    if (room.floor.duplex === "half" && link.remotes.size > 0) {
      this.#floor.holder(room.name).then((v) => {
        if (
          v && this.#rooms.get(room.name) === link && link.remotes.get(v.nick)?.relay === v.relay
        ) {
          link.remoteTalk(v.nick, true);
        }
      }).catch(() => {});
    }
  }

  roomIdle(room: Room): void {
    const link = this.#rooms.get(room.name);
    if (!link || link.room !== room || link.localCount > 0) return;
    link.unlink();
    this.#rooms.delete(room.name);
  }

  memberJoined(room: Room, local: LocalMember): void {
    const m = local.member;
    this.#own.claim(room.name, m, () => !local.closed, () => {
      this.#log("nick-race", { nick: m.nick, room: room.name });
      local.fail(
        "nick-taken",
        `the nick ${m.nick} was just taken in ${room.name} on another relay`,
      );
    });
  }

  memberLeft(room: Room, member: Member): void {
    this.#own.release(room.name, member);
    const link = this.#rooms.get(room.name);
    if (link) link.sync(member.nick);
  }

  claimFloor(room: Room, nick: string): Promise<string | null> {
    if (!this.#connected) return Promise.resolve(null);
    const link = this.#rooms.get(room.name);
    link?.claiming.add(nick);
    return this.#floor.claim(room.name, nick).catch((err) => {
      this.#log("error", { code: "cluster-floor", room: room.name, message: errorMessage(err) });
      return null;
    }).finally(() => link?.claiming.delete(nick));
  }

  releaseFloor(room: Room, nick: string): void {
    this.#floor.release(room.name, nick);
  }

  async close(): Promise<void> {
    await this.#floor.close();
    await this.#own.close();
    this.#presence.stop();
    await this.#peers.close();
    await this.#nc.drain().catch(() => {});
  }

  #publish(subject: string, frame: Uint8Array, _priority: Priority): Promise<void> | undefined {
    const type = frame[4];
    // Presence travels in the bucket; voice is useless late, so it is not queued for NATS.
    if (type === FrameType.Joined || type === FrameType.Left) return undefined;
    if (type === FrameType.Voice && !this.#connected) return undefined;
    try {
      this.#nc.publish(subject, sealEnvelope(this.#origin, frame));
    } catch {
      return undefined; // the connection is closed for good: local delivery still happened
    }
    return type === FrameType.Text && this.#connected ? this.#flushed() : undefined;
  }

  /** Settles once NATS has everything published so far in this task (at most 2 s). */
  #flushed(): Promise<void> {
    this.#nextFlush ??= new Promise<void>((resolve) => {
      queueMicrotask(() => {
        this.#nextFlush = null;
        const timer = setTimeout(resolve, 2000);
        this.#nc.flush().catch(() => {}).finally(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    });
    return this.#nextFlush;
  }

  #floorLost(room: string, nick: string): void {
    const link = this.#rooms.get(room);
    if (!link || !link.room.floor.release(nick)) return;
    this.#log("floor-lost", { room, nick });
    link.room.broadcast(
      encodeFrame(FrameType.TalkState, encodeJson({ nick, on: false })),
      "control",
    );
  }

  #relayDied(relay: string): void {
    const gone = this.#presence.ofRelay(relay);
    this.#log("relay-lost", { relay, members: gone.length });
    for (const { room, nick, entry } of gone) {
      const link = this.#rooms.get(room);
      link?.sync(nick);
      const key = presenceKey(room, nick);
      // Every survivor tries; compare-and-set lets only the first one through.
      this.#kv.delete(key, { previousSeq: entry.revision }).catch(() => {});
    }
  }

  #watchStatus(): void {
    (async () => {
      for await (const s of this.#nc.status()) {
        if (s.type === Events.Disconnect && this.#connected) {
          this.#connected = false;
          this.#peers.freeze();
          this.#log("nats-lost", { server: String(s.data), serving: "local clients only" });
        } else if (s.type === Events.Reconnect) {
          this.#connected = true;
          this.#peers.thaw();
          this.#log("nats-back", { server: String(s.data) });
          this.#reannounce();
        }
      }
    })().catch(() => {});
  }

  /** After NATS came back: write every local member's presence again and renew floors. */
  #reannounce(): void {
    this.#floor.renewNow();
    for (const link of this.#rooms.values()) {
      for (const m of link.room.members()) {
        const d = link.room.get(m.nick);
        if (!d || d instanceof RemoteMember) continue;
        this.#own.rewrite(link.room.name, m, () => link.room.get(m.nick) === d);
      }
    }
  }
}
