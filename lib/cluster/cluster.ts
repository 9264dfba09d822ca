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

import { connect, Events, type KV, type NatsConnection } from "nats";
import {
  FLOOR_BUCKET,
  newRelayId,
  openEnvelope,
  PRESENCE_BUCKET,
  presenceKey,
  type PresenceValue,
  relayIdBytes,
  RELAYS_BUCKET,
  roomSubject,
  sealEnvelope,
} from "./codec.ts";
import { ClusterFloor } from "./floor.ts";
import { Presence } from "./presence.ts";
import { Peers } from "./peers.ts";
import { encodeFrame } from "../framing.ts";
import { HistoryExchange } from "./history.ts";
import type { LogValue } from "../log.ts";
import { encodeJson, FrameType, type Member } from "../protocol.ts";
import { type LinkContext, RoomLink } from "./room.ts";
import { RemoteMember } from "./remote_member.ts";
import type { LocalMember, RelayCluster } from "../relay/cluster_link.ts";
import type { Room } from "../relay/room.ts";
import type { Priority } from "../send_queue.ts";

/** How to join a cluster. */
export interface ClusterOptions {
  /** NATS server URLs (`nats://host:4222`), tried in turn. */
  servers: string[];
  /** Logs one event. */
  log: (event: string, fields: Record<string, LogValue>) => void;
  /** A relay (and its floor) not renewed for this long is gone; default 3000 ms. */
  ttlMs?: number;
  /** How often slots and floors are renewed; default a third of the TTL. */
  heartbeatMs?: number;
}

/** Raised when the relay cannot join the cluster (NATS unreachable, no JetStream, cluster full). */
export class ClusterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClusterError";
  }
}

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
  /** Revision of each presence entry this relay wrote, by key. */
  readonly #mine = new Map<string, { rev: number; session: string }>();
  /** Pending key-value operations per presence key, in order. */
  readonly #ops = new Map<string, Promise<void>>();
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
    this.#history = new HistoryExchange(nc, (name) => this.#rooms.get(name)?.room);
  }

  recentTexts(room: Room, nick: string): Promise<Uint8Array[]> {
    return this.#history.ask(room, nick);
  }

  /** Connects and joins; throws {@linkcode ClusterError} with a message for a person. */
  static async connect(o: ClusterOptions): Promise<Cluster> {
    const where = o.servers.join(",");
    const ttlMs = o.ttlMs ?? 3000;
    const heartbeatMs = o.heartbeatMs ?? Math.max(100, Math.floor(ttlMs / 3));
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: o.servers,
        name: "am-relay",
        noEcho: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        timeout: 5000,
      });
    } catch (cause) {
      throw new ClusterError(`cannot reach NATS at ${where}: ${message(cause)}`, { cause });
    }
    try {
      const js = nc.jetstream();
      const relays = await js.views.kv(RELAYS_BUCKET, { ttl: ttlMs, history: 1 });
      const floors = await js.views.kv(FLOOR_BUCKET, { ttl: ttlMs, history: 1 });
      const kv = await js.views.kv(PRESENCE_BUCKET, { history: 1 });
      const peers = await Peers.start(relays, newRelayId(), { ttlMs, heartbeatMs }, o.log);
      const presence = await Presence.start(kv, (err) => {
        o.log("error", { code: "cluster-watch", message: message(err) });
      });
      const floor = new ClusterFloor(floors, peers.id, (r) => peers.alive(r), heartbeatMs);
      const cluster = new Cluster(nc, kv, peers, presence, floor, o.log);
      o.log("cluster-joined", { relay: peers.id, slot: peers.slot, nats: where });
      return cluster;
    } catch (cause) {
      await nc.close().catch(() => {});
      const why = /503|no responders|JetStream not enabled/i.test(message(cause))
        ? "JetStream is not enabled there (start nats-server with -js)"
        : message(cause);
      throw new ClusterError(`cannot join the cluster through NATS at ${where}: ${why}`, { cause });
    }
  }

  openRoom(room: Room): void {
    room.idRange = this.#peers.idRange();
    const link = new RoomLink(room, this.#linkContext);
    link.sub = this.#nc.subscribe(roomSubject(room.name), {
      callback: (err, msg) => {
        const env = err ? null : openEnvelope(msg.data);
        if (env && env.origin !== this.id) link.inbound(env.frame);
      },
    });
    room.uplink = (frame, priority) => this.#publish(link, frame, priority);
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
    const key = presenceKey(room.name, m.nick);
    const value: PresenceValue = { relay: this.id, member: m };
    this.#chain(key, async () => {
      if (local.closed) return;
      const rev = await this.#reserve(key, value);
      if (rev === null) {
        this.#log("nick-race", { nick: m.nick, room: room.name });
        local.fail(
          "nick-taken",
          `the nick ${m.nick} was just taken in ${room.name} on another relay`,
        );
        return;
      }
      this.#mine.set(key, { rev, session: m.session });
    });
  }

  memberLeft(room: Room, member: Member): void {
    const key = presenceKey(room.name, member.nick);
    this.#chain(key, async () => {
      const mine = this.#mine.get(key);
      if (!mine || mine.session !== member.session) return;
      this.#mine.delete(key);
      // At our revision only: if another relay took the nick over, its entry stays.
      await this.#kv.delete(key, { previousSeq: mine.rev }).catch(() => {});
    });
    const link = this.#rooms.get(room.name);
    if (link) link.sync(member.nick);
  }

  claimFloor(room: Room, nick: string): Promise<string | null> {
    if (!this.#connected) return Promise.resolve(null);
    const link = this.#rooms.get(room.name);
    link?.claiming.add(nick);
    return this.#floor.claim(room.name, nick).catch((err) => {
      this.#log("error", { code: "cluster-floor", room: room.name, message: message(err) });
      return null;
    }).finally(() => link?.claiming.delete(nick));
  }

  releaseFloor(room: Room, nick: string): void {
    this.#floor.release(room.name, nick);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#ops.values()]);
    await this.#floor.close();
    for (const [key, mine] of this.#mine) {
      await this.#kv.delete(key, { previousSeq: mine.rev }).catch(() => {});
    }
    this.#presence.stop();
    await this.#peers.close();
    await this.#nc.drain().catch(() => {});
  }

  /** Writes a presence entry: create, or take over one of the same session or a dead relay. */
  async #reserve(key: string, value: PresenceValue): Promise<number | null> {
    const bytes = encodeJson(value);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.#kv.create(key, bytes);
      } catch (err) {
        if (!/wrong last sequence/.test(String(err))) throw err;
      }
      const e = await this.#kv.get(key);
      if (!e || e.operation !== "PUT") continue;
      const old = e.json<PresenceValue>();
      const mayTake = old.relay === this.id || old.member.session === value.member.session ||
        !this.#peers.alive(old.relay);
      if (!mayTake) return null;
      try {
        return await this.#kv.update(key, bytes, e.revision);
      } catch {
        continue;
      }
    }
    return null;
  }

  #publish(link: RoomLink, frame: Uint8Array, _priority: Priority): Promise<void> | undefined {
    const type = frame[4];
    // Presence travels in the bucket; voice is useless late, so it is not queued for NATS.
    if (type === FrameType.Joined || type === FrameType.Left) return undefined;
    if (type === FrameType.Voice && !this.#connected) return undefined;
    try {
      this.#nc.publish(link.sub!.getSubject(), sealEnvelope(this.#origin, frame));
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

  #chain(key: string, op: () => Promise<void>): void {
    const next = (this.#ops.get(key) ?? Promise.resolve()).then(op).catch((err) => {
      this.#log("error", { code: "cluster-presence", message: message(err) });
    });
    this.#ops.set(key, next);
    next.then(() => {
      if (this.#ops.get(key) === next) this.#ops.delete(key);
    });
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
        const key = presenceKey(link.room.name, m.nick);
        const value: PresenceValue = { relay: this.id, member: m };
        this.#chain(key, async () => {
          if (link.room.get(m.nick) !== d) return;
          const rev = await this.#kv.put(key, encodeJson(value));
          this.#mine.set(key, { rev, session: m.session });
        });
      }
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
