/**
 * Entry of one relay worker (a module `Worker` of `am-server --workers N`): a
 * whole {@linkcode Relay} on its own thread, listening on the relay's ports
 * beside the other workers (SO_REUSEPORT: the kernel spreads connections), its
 * rooms linked to theirs through the hub ({@linkcode WorkerLink}), or, with
 * `--nats`, joined to the NATS cluster as a relay of its own. Its connection
 * limits are the hub's; its log lines carry `worker=<index>`.
 *
 * @module
 */

import { logEvent, type LogValue } from "../log.ts";
import type { RelayCluster } from "../relay/cluster_link.ts";
import { ListenError } from "../relay/listen_error.ts";
import { Relay } from "../relay/relay.ts";
import { HubChannel, HubGate } from "./hub_channel.ts";
import type { FromHub, ToHub, WorkerStart } from "./messages.ts";
import { WorkerLink } from "./worker_link.ts";

/** The worker's side of its channel (the global scope of a Worker). */
const scope = self as unknown as {
  postMessage(msg: ToHub, transfer?: ArrayBuffer[]): void;
  onmessage: ((e: MessageEvent<FromHub>) => void) | null;
};

const hub = new HubChannel((msg, transfer) => scope.postMessage(msg, transfer ?? []));
let relay: Relay | null = null;
let link: WorkerLink | null = null;

async function start(s: WorkerStart): Promise<void> {
  const log = (event: string, fields: Record<string, LogValue>) =>
    logEvent(event, { ...fields, worker: s.index });
  const r = relay = new Relay(s.options, log);
  r.useGate(new HubGate(hub));
  let cluster: RelayCluster;
  if (s.nats) {
    // Loaded only for a cluster, as in a relay of one thread.
    const { joinCluster } = await import("../cluster/cluster.ts");
    cluster = await joinCluster(r, { ...s.nats, log });
  } else {
    cluster = link = new WorkerLink(s.index, hub, log);
    r.useCluster(cluster);
  }
  const addr = await r.listen();
  hub.send({ t: "listening", port: addr.port, webPort: r.webAddr?.port ?? null });
  await r.serve(); // returns once a shutdown has said goodbye to every client
  await cluster.close().catch(() => {});
  hub.send({ t: "stopped" });
}

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.t === "start") {
    start(msg).catch((err) => {
      const message = err instanceof Error ? err.message : String(err);
      hub.send({ t: "failed", message, listen: err instanceof ListenError });
    });
  } else if (msg.t === "stop") {
    relay?.shutdown();
  } else if (!hub.answer(msg)) {
    link?.handle(msg);
  }
};
