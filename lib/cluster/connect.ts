/**
 * Reaching NATS and opening the cluster's buckets: the part of joining a
 * cluster that can fail for reasons an operator must fix (NATS unreachable,
 * JetStream off, every id range taken), each reported as a
 * {@linkcode ClusterError} that says what to do.
 *
 * @module
 */

import { connect, type KV, type NatsConnection } from "nats";
import { FLOOR_BUCKET, newRelayId, PRESENCE_BUCKET, RELAYS_BUCKET } from "./codec.ts";
import { ClusterFloor } from "./floor.ts";
import { Peers } from "./peers.ts";
import { Presence } from "./presence.ts";
import type { LogValue } from "../log.ts";

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
  /** A CA (PEM file) that NATS servers' certificates are verified against; default the system's. */
  natsCaFile?: string;
}

/** Raised when the relay cannot join the cluster (NATS unreachable, no JetStream, cluster full). */
export class ClusterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClusterError";
  }
}

/** What a joined relay works with. */
export interface ClusterParts {
  /** The NATS connection. */
  nc: NatsConnection;
  /** The presence bucket. */
  kv: KV;
  /** This relay's slot and the liveness of the others. */
  peers: Peers;
  /** The cluster-wide member list. */
  presence: Presence;
  /** The half-duplex floors. */
  floor: ClusterFloor;
}

/** Connects to NATS and opens the buckets; throws {@linkcode ClusterError}. */
export async function connectParts(o: ClusterOptions): Promise<ClusterParts> {
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
      tls: natsTls(o),
    });
  } catch (cause) {
    throw new ClusterError(`cannot reach NATS at ${where}: ${errorMessage(cause)}`, { cause });
  }
  try {
    const js = nc.jetstream();
    const relays = await openBucket(js, RELAYS_BUCKET, { ttl: ttlMs, history: 1 });
    const floors = await openBucket(js, FLOOR_BUCKET, { ttl: ttlMs, history: 1 });
    const kv = await openBucket(js, PRESENCE_BUCKET, { history: 1 });
    const peers = await Peers.start(relays, newRelayId(), { ttlMs, heartbeatMs }, o.log);
    const presence = await Presence.start(kv, (err) => {
      o.log("error", { code: "cluster-watch", message: errorMessage(err) });
    });
    const floor = new ClusterFloor(floors, peers.id, (r) => peers.alive(r), heartbeatMs);
    return { nc, kv, peers, presence, floor };
  } catch (cause) {
    await nc.close().catch(() => {});
    const why = /503|no responders|JetStream not enabled/i.test(errorMessage(cause))
      ? "JetStream is not enabled there (start nats-server with -js)"
      : errorMessage(cause);
    throw new ClusterError(`cannot join the cluster through NATS at ${where}: ${why}`, { cause });
  }
}

/**
 * The NATS client's TLS options. The client takes TLS from what the server
 * offers, not from the URL's scheme: a `tls://` URL (or a CA) asks for it, so
 * that a server without TLS is an error rather than a plain connection.
 */
function natsTls(o: ClusterOptions): { caFile?: string } | undefined {
  if (o.natsCaFile) return { caFile: o.natsCaFile };
  return o.servers.some((s) => /^tls:/i.test(s)) ? {} : undefined;
}

/**
 * Opens a key-value bucket, making it if it does not exist. Two relays that
 * start at once on a fresh NATS both try to make it; the one that loses that
 * race is told the stream's subjects overlap, and then opens the bucket the
 * other one made.
 */
async function openBucket(
  js: ReturnType<NatsConnection["jetstream"]>,
  name: string,
  opts: { ttl?: number; history: number },
): Promise<KV> {
  try {
    return await js.views.kv(name, opts);
  } catch (err) {
    if (!/subjects overlap|already in use|already exists/i.test(errorMessage(err))) throw err;
    return await js.views.kv(name, opts);
  }
}

/** The message of an error, or the thing thrown as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
