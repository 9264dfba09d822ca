/**
 * TLS for the benchmarks: a relay identity made once per run (so a relay
 * process starts with `--tls-cert`/`--tls-key` and no data directory), and
 * connections that verify the relay against it as a pinned client does. The
 * benchmarks drive our relay with `--no-tls` unless they are given one of
 * these, so their figures stay comparable with the plain IRC servers.
 *
 * @module
 */

import { connect as epollConnect } from "../lib/relay/epoll/connect.ts";
import type { RelaySocket } from "../lib/relay/socket.ts";
import { UringConn } from "../lib/relay/uring/conn.ts";
import { makeRelayIdentity } from "../lib/tls/certificates.ts";
import { chainCertificates, RELAY_CERT_NAME, toPem } from "../lib/tls/mod.ts";

/** A relay certificate on disk and the anchor a client verifies it with. */
export interface BenchTls {
  /** Relay flags that serve it. */
  flags: string[];
  /** The certificate a client pins (PEM). */
  anchorPem: string;
}

/** Makes a relay identity in `dir`. */
export async function makeBenchTls(dir: string): Promise<BenchTls> {
  const id = await makeRelayIdentity();
  await Deno.writeTextFile(`${dir}/bench-cert.pem`, id.certPem);
  await Deno.writeTextFile(`${dir}/bench-key.pem`, id.keyPem, { mode: 0o600 });
  const chain = chainCertificates(id.certPem);
  return {
    flags: ["--tls-cert", `${dir}/bench-cert.pem`, "--tls-key", `${dir}/bench-key.pem`],
    anchorPem: toPem("CERTIFICATE", chain[chain.length - 1]),
  };
}

/**
 * What a benchmark client reads and writes: a `Deno.Conn`, or a socket of the epoll
 * loop (which can also read through a target, `readInto`).
 */
export type BenchConn = Pick<Deno.Conn, "read" | "write" | "close"> & Pick<RelaySocket, "readInto">;

/**
 * How a benchmark client's socket is read: Deno's op per read, one epoll loop for all,
 * or io_uring (a multishot receive per socket: no system call per read at all).
 */
export type BenchIo = "deno" | "epoll" | "uring";

/**
 * Connects to the relay on 127.0.0.1:`port`: TLS verified by `anchorPem`, or plain TCP
 * for null. With `io` "epoll" (plain TCP only) the socket is read through one epoll
 * loop over libc (lib/relay/epoll/), so a generator holding thousands of sockets pays
 * a `recv` per read rather than Deno's op; with "uring" it is connected so and then
 * read through io_uring (lib/relay/uring/).
 */
export function benchConnect(port: number, anchorPem: string | null): Promise<Deno.Conn>;
/** Connects as above, read through `io`. */
export function benchConnect(
  port: number,
  anchorPem: string | null,
  io: BenchIo,
): Promise<BenchConn>;
export async function benchConnect(
  port: number,
  anchorPem: string | null,
  io: BenchIo = "deno",
): Promise<BenchConn> {
  if (io !== "deno") {
    if (anchorPem !== null) throw new TypeError(`${io} client sockets are plain TCP only`);
    const conn = await epollConnect("127.0.0.1", port);
    return io === "uring" ? UringConn.adopt(conn) : conn;
  }
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  tcp.setNoDelay(true);
  if (anchorPem === null) return tcp;
  const conn = await Deno.startTls(tcp, { hostname: RELAY_CERT_NAME, caCerts: [anchorPem] });
  await conn.handshake();
  return conn;
}
