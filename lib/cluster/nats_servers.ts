/**
 * The `--nats` flag of `am-server`: a comma-separated list of NATS servers
 * (`nats://host:4222`, or just `host:4222`). Parsed apart from the cluster
 * code so that a relay checks its flags without loading the NATS client.
 *
 * @module
 */

import { UsageError } from "../cli.ts";

/** Parses `--nats` / `AM_NATS`; throws {@linkcode UsageError}. */
export function parseNatsServers(spec: string): string[] {
  const list = spec.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) {
    throw new UsageError("--nats needs at least one URL, e.g. nats://host:4222");
  }
  return list.map((item) => {
    const url = /^[a-z]+:\/\//i.test(item) ? item : `nats://${item}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`"${item}" is not a NATS URL like nats://host:4222`);
    }
    if (!["nats:", "tls:", "ws:", "wss:"].includes(parsed.protocol) || !parsed.hostname) {
      throw new UsageError(`"${item}" is not a NATS URL like nats://host:4222`);
    }
    return url;
  });
}
