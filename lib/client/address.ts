/**
 * Relay addresses as users write them: `host`, `host:port`, `[v6]:port`, and
 * comma-separated lists for failover (`host1:9001,host2:9001`).
 *
 * @module
 */

import { UsageError } from "../cli.ts";
import { DEFAULT_PORT } from "../protocol.ts";

/** One relay address. */
export interface RelayAddress {
  /** Host name or IP address. */
  hostname: string;
  /** TCP port. */
  port: number;
}

/** Parses a comma-separated list of relay addresses; throws {@linkcode UsageError}. */
export function parseAddresses(spec: string, defaultPort = DEFAULT_PORT): RelayAddress[] {
  const list = spec.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError("no relay address given");
  return list.map((item) => {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(item) ?? /^([^:]+)(?::(\d+))?$/.exec(item);
    if (!m) throw new UsageError(`"${item}" is not HOST or HOST:PORT`);
    const port = m[2] === undefined ? defaultPort : Number(m[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UsageError(`port in "${item}" must be from 1 to 65535`);
    }
    return { hostname: m[1], port };
  });
}

/** An address as text, for messages. */
export function formatAddress(a: RelayAddress): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}
