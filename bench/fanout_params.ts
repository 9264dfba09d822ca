/**
 * What one run of the text fan-out benchmark is asked to do: the server, the
 * room size, the senders and their total rate, the windows, the sample of
 * receivers that verify, and how receivers read (see fanout_run.ts).
 *
 * @module
 */

import type { BenchTls } from "./bench_tls.ts";
import { DELIVERED_BYTES } from "./driver.ts";
import type { ServerSpec } from "./proc.ts";
import { DEFAULT_SAMPLE } from "./sample.ts";
import type { ServerKind } from "./servers.ts";

/** Parameters of one run. */
export interface FanoutParams {
  /** Server under test. */
  server: ServerKind;
  /** Clients in the room. */
  clients: number;
  /** How many of them send. */
  senders: number;
  /** Messages a second, all senders together. */
  rate: number;
  /** Sending before the measured window, ms. */
  warmupMs: number;
  /** Measured window, ms. */
  measureMs: number;
  /** Longest wait for stragglers after sending stops, ms. */
  drainMs: number;
  /**
   * Sample receivers: they decode and time every message and verify it (ours:
   * open it; IRC: check the line). The others only count deliveries and bytes.
   */
  sample: number;
  /** Read pacing period of the sample receivers in ms (0: none); see `ReadPacer` (driver.ts). */
  readPeriodMs: number;
  /** Read pacing period of the counting receivers in ms (default 50). */
  countReadMs?: number;
  /**
   * Receive low-water mark of the counting receivers' sockets in the window,
   * bytes (default: ~200 ms of a receiver's deliveries, 4–64 KiB; 0: off); see
   * bench/rcv_lowat.ts.
   */
  rcvLowat?: number;
  /** Core for the server (null: no pinning). */
  serverCore: number | null;
  /** Directory for IRC configs. */
  dir: string;
  /** Another way to start the server (profiling, a changed relay); default by kind. */
  spec?: (port: number) => ServerSpec;
  /** Our relay serves TLS with this identity (default: plain TCP). */
  tls?: BenchTls;
  /** Called with the server's pid when the measured window opens and when it closes (profilers). */
  onWindow?: (pid: number, edge: "start" | "end") => void | Promise<void>;
}

/**
 * One fixed text load on our relay (10 senders, 1 s warm-up, 3 s measured, paced
 * readers, relay on core 0), as the side-by-side benches use it.
 */
export function fixedTextLoad(clients: number, rate: number, dir: string): FanoutParams {
  return {
    server: "am",
    clients,
    senders: 10,
    rate,
    warmupMs: 1000,
    measureMs: 3000,
    drainMs: 3000,
    sample: DEFAULT_SAMPLE,
    readPeriodMs: 5,
    serverCore: 0,
    dir,
  };
}

/** ~200 ms of one receiver's deliveries at `perReceiver` messages a second, 4–64 KiB. */
export function defaultLowat(perReceiver: number): number {
  return Math.max(4096, Math.min(65536, Math.round(perReceiver * DELIVERED_BYTES * 0.2)));
}
