/**
 * `am-server`: the Audio Messenger relay. Parses flags (each also from an
 * `AM_*` environment variable), starts a {@linkcode Relay} (or, with
 * `--workers N`, N of them on their own threads: lib/workers/), and shuts it
 * down in order on SIGINT or SIGTERM.
 *
 * @module
 */

import { type FlagSpec, formatHelp, parseCli, UsageError } from "./lib/cli.ts";
import { parseNatsServers } from "./lib/cluster/nats_servers.ts";
import { logEvent, type LogValue } from "./lib/log.ts";
import { relayOptions, tlsIdentity } from "./lib/relay/cli_options.ts";
import { fitMaxClients, raiseOpenFileLimit } from "./lib/relay/descriptor_limit.ts";
import { ListenError } from "./lib/relay/listen_error.ts";
import { Relay } from "./lib/relay/relay.ts";
import { type TlsIdentity, TlsSetupError } from "./lib/relay/tls_identity.ts";
import { DEFAULT_RELAY_OPTIONS as D, DEFAULT_WEB_PORT } from "./lib/relay/options.ts";
import { workerCount } from "./lib/workers/count.ts";
import { VERSION } from "./lib/version.ts";

const FLAGS: Record<string, FlagSpec> = {
  host: {
    type: "string",
    env: "AM_HOST",
    default: D.host,
    value: "ADDR",
    help: "address to listen on",
  },
  port: { type: "string", env: "AM_PORT", default: String(D.port), value: "N", help: "TCP port" },
  "max-clients": {
    type: "string",
    env: "AM_MAX_CLIENTS",
    default: String(D.maxClients),
    value: "N",
    help: "connections at once",
  },
  "max-per-ip": {
    type: "string",
    env: "AM_MAX_PER_IP",
    default: String(D.maxPerIp),
    value: "N",
    help: "connections at once from one IP address",
  },
  "max-frame": {
    type: "string",
    env: "AM_MAX_FRAME",
    default: String(D.maxFrame),
    value: "BYTES",
    help: "largest frame accepted",
  },
  duplex: {
    type: "string",
    env: "AM_DUPLEX",
    default: D.duplex,
    value: "half|full",
    help: "half: one talker per room at a time; full: anyone at once",
  },
  "text-rate": {
    type: "string",
    env: "AM_TEXT_RATE",
    default: String(D.textRate),
    value: "N",
    help: "text messages a second per connection",
  },
  "text-burst": {
    type: "string",
    env: "AM_TEXT_BURST",
    default: String(D.textBurst),
    value: "N",
    help: "text messages a connection may send at once",
  },
  "key-share-rate": {
    type: "string",
    env: "AM_KEY_SHARE_RATE",
    default: String(D.keyShareRate),
    value: "N",
    help: "key shares a second per connection",
  },
  "key-share-burst": {
    type: "string",
    env: "AM_KEY_SHARE_BURST",
    default: String(D.keyShareBurst),
    value: "N",
    help: "key shares a connection may send at once (a joiner sends one per member)",
  },
  "voice-rate": {
    type: "string",
    env: "AM_VOICE_RATE",
    default: String(D.voiceRate),
    value: "N",
    help: "voice frames a second per connection",
  },
  "voice-burst": {
    type: "string",
    env: "AM_VOICE_BURST",
    default: String(D.voiceBurst),
    value: "N",
    help: "voice frames a connection may send at once",
  },
  "hello-timeout": {
    type: "string",
    env: "AM_HELLO_TIMEOUT",
    default: String(D.helloTimeoutMs),
    value: "MS",
    help: "close connections that send no hello in time",
  },
  "idle-timeout": {
    type: "string",
    env: "AM_IDLE_TIMEOUT",
    default: String(D.idleTimeoutMs),
    value: "MS",
    help: "close connections silent this long (clients ping every 15 s)",
  },
  "max-nick": {
    type: "string",
    env: "AM_MAX_NICK",
    default: String(D.maxNick),
    value: "BYTES",
    help: "longest nick",
  },
  "max-room": {
    type: "string",
    env: "AM_MAX_ROOM",
    default: String(D.maxRoom),
    value: "BYTES",
    help: "longest room name",
  },
  "send-queue-bytes": {
    type: "string",
    env: "AM_SEND_QUEUE_BYTES",
    default: String(D.queue.maxBytes),
    value: "BYTES",
    help: "bytes queued to one slow reader before it is closed (voice is dropped first)",
  },
  "coalesce-ms": {
    type: "string",
    env: "AM_COALESCE_MS",
    default: String(D.coalesce.windowMs),
    value: "MS",
    help: "while busy, texts to one reader wait up to this long to share a write (0: never)",
  },
  "coalesce-rate": {
    type: "string",
    env: "AM_COALESCE_RATE",
    default: String(D.coalesce.busyRate),
    value: "N",
    help: "busy: text and control deliveries a second, all connections together",
  },
  "tls-cert": {
    type: "string",
    env: "AM_TLS_CERT",
    value: "FILE",
    help: "serve this PEM certificate chain (with --tls-key) instead of the relay's own",
  },
  "tls-key": {
    type: "string",
    env: "AM_TLS_KEY",
    value: "FILE",
    help: "the PEM private key of --tls-cert",
  },
  "data-dir": {
    type: "string",
    env: "AM_DATA_DIR",
    value: "DIR",
    help: "where the relay keeps its own certificate (default $XDG_STATE_HOME/am-server, " +
      "else ~/.local/state/am-server)",
  },
  "no-tls": {
    type: "boolean",
    env: "AM_NO_TLS",
    help: "serve plain TCP (behind a TLS-terminating proxy, or to measure); the network sees " +
      "nicks, rooms and members",
  },
  io: {
    type: "string",
    env: "AM_IO",
    default: D.io,
    value: "deno|epoll|uring",
    help: "socket I/O of the TCP port: deno, epoll (one epoll loop over libc: less memory " +
      "and CPU per connection; Linux, with --no-tls, needs --allow-ffi; docs/EPOLL.md), " +
      "or uring (io_uring, experimental: a fan-out's writes in one system call, but a higher " +
      "text tail latency; docs/URING.md)",
  },
  "web-port": {
    type: "string",
    env: "AM_WEB_PORT",
    default: String(DEFAULT_WEB_PORT),
    value: "N",
    help: "serve the browser client and its WebSocket endpoint on this port (TLS as the relay)",
  },
  "no-web": {
    type: "boolean",
    env: "AM_NO_WEB",
    help: "serve no browser client",
  },
  fingerprint: {
    type: "boolean",
    help: "print the SHA-256 fingerprint clients pin (making the certificate if needed) and exit",
  },
  nats: {
    type: "string",
    env: "AM_NATS",
    value: "URL[,URL]",
    help: "join a cluster of relays through these NATS servers (docs/CLUSTER.md)",
  },
  "nats-ca": {
    type: "string",
    env: "AM_NATS_CA",
    value: "FILE",
    help: "verify NATS servers (tls:// URLs) against this CA (PEM) instead of the system's",
  },
  workers: {
    type: "string",
    env: "AM_WORKERS",
    default: "1",
    value: "N|auto",
    help: "relay threads sharing the ports and rooms (auto: one per CPU; docs/WORKERS.md)",
  },
  version: { type: "boolean", short: "V", help: "print the version and exit" },
  help: { type: "boolean", short: "h", help: "print this help and exit" },
};

const USAGE = `am-server ${VERSION}: the Audio Messenger relay (end-to-end encrypted text and voice)

Usage: am-server [options]

The relay forwards sealed messages between members of a room; it holds no key
and cannot read them. Clients reach it over TLS 1.3: with a certificate the
operator gives, or one the relay makes on first start and keeps in its data
directory (clients pin it on first use, like an SSH host key). Browsers join
from https://HOST:WEB-PORT/?room=ROOM (the page seals everything itself).
Logs go to stderr, one line per event.`;

/** Logs what the relay serves: its certificate, or a warning that it serves plain TCP. */
function logTls(
  identity: TlsIdentity | null,
  log: (event: string, fields: Record<string, LogValue>) => void = logEvent,
): void {
  if (identity) {
    log("tls", {
      fingerprint: identity.fingerprint,
      certificate: identity.source,
      made: identity.created || undefined,
    });
  } else {
    log("tls-off", {
      warning: "plain TCP: the network sees nicks, room names, members and timing",
    });
  }
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(FLAGS, args);
  if (values.help) {
    console.log(formatHelp(USAGE, FLAGS));
    return 0;
  }
  if (values.version) {
    console.log(`am-server ${VERSION}`);
    return 0;
  }
  if (positionals.length) {
    throw new UsageError(`unexpected argument "${positionals[0]}"; see --help`);
  }
  const noTls = values["no-tls"] === true;
  if (noTls && (values["tls-cert"] !== undefined || values.fingerprint)) {
    throw new UsageError("--no-tls serves no certificate; drop --tls-cert or --fingerprint");
  }
  const relayOpts = relayOptions(values);
  const limit = raiseOpenFileLimit();
  const asked = relayOpts.maxClients ?? D.maxClients;
  relayOpts.maxClients = fitMaxClients(asked, limit);
  if (relayOpts.maxClients < asked) {
    logEvent("max-clients-lowered", {
      from: asked,
      to: relayOpts.maxClients,
      reason: `the open-file limit is ${limit}: raise it (ulimit -n) to serve more`,
    });
  }
  const identity = noTls ? null : await tlsIdentity(values);
  if (values.fingerprint) {
    console.log(identity!.fingerprint);
    return 0;
  }
  const nats = typeof values.nats === "string" ? parseNatsServers(values.nats) : null;
  const natsCaFile = values["nats-ca"] as string | undefined;
  const workers = workerCount(values.workers);
  if (workers > 1) {
    // Loaded only with workers: a relay of one thread runs exactly as it always has.
    const { runWorkers } = await import("./lib/workers/pool.ts");
    const servers = nats ? { servers: nats, natsCaFile } : null;
    const options = { ...D, ...relayOpts, tls: identity };
    return await runWorkers({ count: workers, options, nats: servers }, () => logTls(identity));
  }
  const relay = new Relay({ ...relayOpts, tls: identity });
  // Loaded only for a cluster: a relay on its own never imports the NATS client.
  const cluster = nats
    ? await (await import("./lib/cluster/cluster.ts")).joinCluster(relay, {
      servers: nats,
      natsCaFile,
      log: (event, fields) => relay.log(event, fields),
    })
    : null;
  // Before listening: a signal right after the "listening" line must still shut down in order.
  const stop = () => void relay.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await relay.listen();
  logTls(identity, (event, fields) => relay.log(event, fields));
  await relay.serve(); // returns once a shutdown has said goodbye to every client
  await cluster?.close().catch(() => {});
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    if (err instanceof UsageError || err instanceof ListenError || err instanceof TlsSetupError) {
      console.error(`am-server: ${err.message}`);
      Deno.exit(2);
    }
    console.error(`am-server: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
