/**
 * Everything an `am-server` can be told, with the defaults a relay on the open
 * internet should have. Kept apart from the flag parser so that tests and the
 * benchmarks build relays in-process with the same defaults.
 *
 * @module
 */

import type { Duplex } from "./floor.ts";
import { DEFAULT_MAX_FRAME } from "../framing.ts";
import { DEFAULT_PORT, MAX_NICK_BYTES, MAX_ROOM_BYTES } from "../protocol.ts";
import { DEFAULT_QUEUE_LIMITS, type QueueLimits } from "../send_queue.ts";
import { DEFAULT_FLUSH_POLICY, type FlushPolicy } from "./flush_policy.ts";

/** Settings of one relay. */
export interface RelayOptions {
  /** Address to listen on. */
  host: string;
  /** TCP port (0 picks a free one). */
  port: number;
  /** Connections at once, all addresses together. */
  maxClients: number;
  /** Connections at once from one IP address. */
  maxPerIp: number;
  /** Largest frame accepted, in bytes. */
  maxFrame: number;
  /** Floor mode of every room. */
  duplex: Duplex;
  /** A connection must say hello within this many ms. */
  helloTimeoutMs: number;
  /** A connection silent for this long (no frame, not even a ping) is closed. */
  idleTimeoutMs: number;
  /** Text frames a second per connection, sustained. */
  textRate: number;
  /** Text frames a connection may send in a burst. */
  textBurst: number;
  /** Voice frames a second per connection, sustained (50 is one 20 ms stream). */
  voiceRate: number;
  /**
   * Voice frames a connection may send in a burst. Half a second: a talker, or the
   * relay itself, stalled by a busy machine hands over its backlog at once, and the
   * listeners' jitter buffers can still use it; a flood is still held to the rate.
   */
  voiceBurst: number;
  /** Key shares a second per connection, sustained (each goes to one member). */
  keyShareRate: number;
  /** Key shares a connection may send at once (a joiner sends one to every member). */
  keyShareBurst: number;
  /** Longest nick, in UTF-8 bytes. */
  maxNick: number;
  /** Longest room name, in UTF-8 bytes. */
  maxRoom: number;
  /** A talker who sends no voice for this long loses the floor. */
  floorTimeoutMs: number;
  /** Per-connection send queue limits. */
  queue: QueueLimits;
  /** When text and control frames wait to share a write (lib/relay/flush_policy.ts). */
  coalesce: FlushPolicy;
  /** Certificate chain and key to serve TLS with; null serves plain TCP. */
  tls: TlsServe | null;
  /** The web port (browser page and WebSocket endpoint); null serves none. */
  web: WebPort | null;
  /**
   * Listen with SO_REUSEPORT, so that several workers of one relay share its
   * ports and the kernel spreads connections over them (lib/workers/).
   */
  reusePort: boolean;
  /**
   * How the relay's TCP port does its socket I/O: "deno" through `Deno.Conn`, or
   * "epoll" through one epoll loop over libc (Linux, plain TCP, --allow-ffi;
   * lib/relay/epoll/), or "uring" through io_uring (the same, and a kernel that
   * allows it; lib/relay/uring/). The web port always uses Deno's.
   */
  io: RelayIo;
}

/** The socket I/O backends of the relay's TCP port. */
export type RelayIo = "deno" | "epoll" | "uring";

/** Where the browser page is served. */
export interface WebPort {
  /** TCP port (0 picks a free one). */
  port: number;
  /** True when the port is only the default: if it is taken the relay runs without it. */
  optional: boolean;
}

/** The web port when none is given. */
export const DEFAULT_WEB_PORT = 9080;

/** What a TLS relay serves. */
export interface TlsServe {
  /** Certificate chain as PEM, leaf first. */
  certPem: string;
  /** The leaf's private key as PEM. */
  keyPem: string;
  /** The chain's fingerprint, for the log. */
  fingerprint: string;
}

/** Defaults of every relay setting. */
export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  host: "0.0.0.0",
  port: DEFAULT_PORT,
  maxClients: 10000,
  maxPerIp: 64,
  maxFrame: DEFAULT_MAX_FRAME,
  duplex: "half",
  helloTimeoutMs: 5000,
  idleTimeoutMs: 90_000,
  textRate: 10,
  textBurst: 20,
  voiceRate: 50,
  voiceBurst: 25,
  keyShareRate: 200,
  keyShareBurst: 600,
  maxNick: MAX_NICK_BYTES,
  maxRoom: MAX_ROOM_BYTES,
  floorTimeoutMs: 5000,
  queue: DEFAULT_QUEUE_LIMITS,
  coalesce: DEFAULT_FLUSH_POLICY,
  tls: null,
  web: null,
  reusePort: false,
  io: "deno",
};
