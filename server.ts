/**
 * `am-server`: the Audio Messenger relay. Parses flags (each also from an
 * `AM_*` environment variable), starts a {@linkcode Relay}, and shuts it down
 * in order on SIGINT or SIGTERM.
 *
 * @module
 */

import {
  choiceValue,
  type FlagSpec,
  formatHelp,
  intValue,
  parseCli,
  UsageError,
} from "./lib/cli.ts";
import { parseNatsServers } from "./lib/cluster/nats_servers.ts";
import { ListenError, Relay } from "./lib/relay/relay.ts";
import {
  defaultDataDir,
  loadIdentityFiles,
  loadOrCreateIdentity,
  type TlsIdentity,
  TlsSetupError,
} from "./lib/relay/tls_identity.ts";
import {
  DEFAULT_RELAY_OPTIONS as D,
  DEFAULT_WEB_PORT,
  type RelayOptions,
} from "./lib/relay/options.ts";
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

/** Turns parsed flags into relay options; throws {@linkcode UsageError}. */
export function relayOptions(values: Record<string, unknown>): Partial<RelayOptions> {
  const max = 1 << 30;
  return {
    host: String(values.host),
    port: intValue("port", values.port, 0, 65535),
    maxClients: intValue("max-clients", values["max-clients"], 1, 10_000_000),
    maxPerIp: intValue("max-per-ip", values["max-per-ip"], 1, 10_000_000),
    maxFrame: intValue("max-frame", values["max-frame"], 64, 16 * 1024 * 1024),
    duplex: choiceValue("duplex", values.duplex, ["half", "full"] as const),
    textRate: intValue("text-rate", values["text-rate"], 1, max),
    textBurst: intValue("text-burst", values["text-burst"], 1, max),
    voiceRate: intValue("voice-rate", values["voice-rate"], 1, max),
    voiceBurst: intValue("voice-burst", values["voice-burst"], 1, max),
    helloTimeoutMs: intValue("hello-timeout", values["hello-timeout"], 100, 3_600_000),
    idleTimeoutMs: intValue("idle-timeout", values["idle-timeout"], 1000, 86_400_000),
    maxNick: intValue("max-nick", values["max-nick"], 1, 255),
    maxRoom: intValue("max-room", values["max-room"], 1, 255),
    queue: queueLimits(intValue("send-queue-bytes", values["send-queue-bytes"], 4096, max)),
    web: values["no-web"] === true ? null : {
      port: intValue("web-port", values["web-port"], 0, 65535),
      optional: values["web-port"] === String(DEFAULT_WEB_PORT),
    },
  };
}

/** The certificate to serve: the operator's files, or the relay's own from its data directory. */
async function tlsIdentity(values: Record<string, unknown>): Promise<TlsIdentity> {
  const cert = values["tls-cert"] as string | undefined;
  const key = values["tls-key"] as string | undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together; give both or neither");
  }
  if (cert !== undefined && key !== undefined) return await loadIdentityFiles(cert, key);
  const dir = (values["data-dir"] as string | undefined) ?? defaultDataDir((n) => Deno.env.get(n));
  if (!dir) throw new UsageError("no home directory to keep the certificate in; give --data-dir");
  return await loadOrCreateIdentity(dir);
}

/** Queue limits for a byte budget: voice stops at the default share or a quarter of it. */
function queueLimits(maxBytes: number): RelayOptions["queue"] {
  return { maxBytes, voiceBytes: Math.min(D.queue.voiceBytes, Math.floor(maxBytes / 4)) };
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
  const options = relayOptions(values);
  const identity = noTls ? null : await tlsIdentity(values);
  if (values.fingerprint) {
    console.log(identity!.fingerprint);
    return 0;
  }
  const relay = new Relay({ ...options, tls: identity });
  const nats = typeof values.nats === "string" ? parseNatsServers(values.nats) : null;
  // Loaded only for a cluster: a relay on its own never imports the NATS client.
  const cluster = nats
    ? await (await import("./lib/cluster/cluster.ts")).joinCluster(relay, {
      servers: nats,
      natsCaFile: values["nats-ca"] as string | undefined,
      log: (event, fields) => relay.log(event, fields),
    })
    : null;
  // Before listening: a signal right after the "listening" line must still shut down in order.
  const stop = () => void relay.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await relay.listen();
  if (identity) {
    relay.log("tls", {
      fingerprint: identity.fingerprint,
      certificate: identity.source,
      made: identity.created || undefined,
    });
  } else {
    relay.log("tls-off", {
      warning: "plain TCP: the network sees nicks, room names, members and timing",
    });
  }
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
