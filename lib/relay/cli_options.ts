/**
 * What `am-server`'s flags mean for a relay: the relay options they set, and
 * the certificate it serves. Kept out of server.ts, which parses the flags and
 * wires the parts together.
 *
 * @module
 */

import { choiceValue, intValue, UsageError } from "../cli.ts";
import {
  defaultDataDir,
  loadIdentityFiles,
  loadOrCreateIdentity,
  type TlsIdentity,
} from "./tls_identity.ts";
import {
  DEFAULT_RELAY_OPTIONS as D,
  DEFAULT_WEB_PORT,
  type RelayIo,
  type RelayOptions,
} from "./options.ts";
import { uringAvailable } from "./uring/ring.ts";

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
    keyShareRate: intValue("key-share-rate", values["key-share-rate"], 1, max),
    keyShareBurst: intValue("key-share-burst", values["key-share-burst"], 1, max),
    voiceRate: intValue("voice-rate", values["voice-rate"], 1, max),
    voiceBurst: intValue("voice-burst", values["voice-burst"], 1, max),
    helloTimeoutMs: intValue("hello-timeout", values["hello-timeout"], 100, 3_600_000),
    idleTimeoutMs: intValue("idle-timeout", values["idle-timeout"], 1000, 86_400_000),
    maxNick: intValue("max-nick", values["max-nick"], 1, 255),
    maxRoom: intValue("max-room", values["max-room"], 1, 255),
    queue: queueLimits(intValue("send-queue-bytes", values["send-queue-bytes"], 4096, max)),
    coalesce: {
      windowMs: intValue("coalesce-ms", values["coalesce-ms"], 0, 1000),
      busyRate: intValue("coalesce-rate", values["coalesce-rate"], 1, max),
    },
    io: ioBackend(values),
    web: values["no-web"] === true ? null : {
      port: intValue("web-port", values["web-port"], 0, 65535),
      optional: values["web-port"] === String(DEFAULT_WEB_PORT),
    },
  };
}

/**
 * The socket I/O backend `--io` names, checked against what it needs: epoll and
 * uring serve plain TCP only (the TLS layer runs on Node streams over Deno's
 * sockets), on Linux, and call libc through FFI; uring also needs a kernel (and
 * a container) that lets the process set up an io_uring.
 */
export function ioBackend(values: Record<string, unknown>): RelayIo {
  const io = choiceValue("io", values.io ?? "deno", ["deno", "epoll", "uring"] as const);
  if (io === "deno") return io;
  if (values["no-tls"] !== true) {
    throw new UsageError(`--io ${io} serves plain TCP only: add --no-tls, or use --io deno`);
  }
  if (Deno.build.os !== "linux") {
    throw new UsageError(`--io ${io} needs Linux (this is ${Deno.build.os}); use --io deno`);
  }
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    throw new UsageError(
      `--io ${io} calls libc through FFI and needs --allow-ffi (deno task server and the ` +
        "compiled am-server have it); add it to `deno run`, or use --io deno",
    );
  }
  const why = io === "uring" ? uringAvailable() : null;
  if (why !== null) {
    throw new UsageError(`--io uring cannot set up an io_uring here (${why}); use --io epoll`);
  }
  return io;
}

/** The certificate to serve: the operator's files, or the relay's own from its data directory. */
export async function tlsIdentity(values: Record<string, unknown>): Promise<TlsIdentity> {
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
