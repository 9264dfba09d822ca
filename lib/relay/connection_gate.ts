/**
 * The relay's connection limits (`--max-clients`, `--max-per-ip`) as a gate
 * every accepted connection goes through, counted from the moment it is
 * accepted until it closes (refused connections count until they close too).
 * A relay counts its own connections with {@linkcode CountingGate}; the
 * workers of one relay all ask the one gate on the main thread, so a limit
 * holds for the relay as a whole, not once per worker. Pure logic.
 *
 * @module
 */

import type { ErrorBody } from "../protocol.ts";
import type { RelayOptions } from "./options.ts";

/** Why a connection is turned away. */
export type Refusal = Pick<ErrorBody, "code" | "message">;

/** Counts connections against the limits. */
export interface ConnectionGate {
  /** A connection from `ip` opened: null admits it, else why not (now, or once the gate answers). */
  open(ip: string): Refusal | null | Promise<Refusal | null>;
  /** A connection from `ip` that was {@linkcode open}ed has closed. */
  close(ip: string): void;
}

/** Connections open now, all of them and by address, against the relay's limits. */
export class CountingGate implements ConnectionGate {
  readonly #o: Pick<RelayOptions, "maxClients" | "maxPerIp">;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  /** A gate at the limits of `o`. */
  constructor(o: Pick<RelayOptions, "maxClients" | "maxPerIp">) {
    this.#o = o;
  }

  /** Connections counted now. */
  get total(): number {
    return this.#total;
  }

  open(ip: string): Refusal | null {
    const fromIp = (this.#perIp.get(ip) ?? 0) + 1;
    this.#perIp.set(ip, fromIp);
    const { maxClients, maxPerIp } = this.#o;
    if (++this.#total > maxClients) {
      return {
        code: "server-full",
        message: `the relay is full (${maxClients} clients); try again later`,
      };
    }
    if (fromIp > maxPerIp) {
      return {
        code: "too-many-connections",
        message: `too many connections from ${ip} (limit ${maxPerIp})`,
      };
    }
    return null;
  }

  close(ip: string): void {
    this.#total--;
    const n = (this.#perIp.get(ip) ?? 1) - 1;
    if (n > 0) this.#perIp.set(ip, n);
    else this.#perIp.delete(ip);
  }
}
