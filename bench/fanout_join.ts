/**
 * Getting a fan-out run's clients into the room: the protocol driver for the
 * server under test, connecting them a bounded number at a time (each server
 * takes a different number of joins in flight), and waiting until the server
 * has gone quiet after the join storm.
 *
 * @module
 */

import { AmDriver } from "./am_driver.ts";
import type { BenchPeer, Driver } from "./driver.ts";
import { IrcDriver } from "./irc_driver.ts";
import { type ServerProcess, sleep } from "./proc.ts";
import type { ServerKind } from "./servers.ts";

let amDriver: AmDriver | null = null;

/** The driver for `kind`: one of ours for the whole process, or a new IRC one. */
export async function driverFor(kind: ServerKind): Promise<Driver> {
  if (kind === "am") return amDriver ??= await AmDriver.create();
  return new IrcDriver(kind);
}

/** Connects `n` clients, `parallel` at a time (ngircd's accept backlog is 10). */
export async function connectAll(
  driver: Driver,
  n: number,
  parallel: number,
  make: (i: number) => Parameters<Driver["connect"]>[0],
): Promise<BenchPeer[]> {
  const peers: BenchPeer[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      peers[i] = await driver.connect(make(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return peers;
}

/**
 * Clients joining at once: ngircd's accept backlog is 10; InspIRCd completes a
 * registration on its once-a-second background pass, so it needs many in flight.
 */
export const JOIN_PARALLEL: Record<ServerKind, number> = { am: 16, ngircd: 8, inspircd: 250 };

/** Waits (at most 20 s) until the server has used < 2 % CPU for 300 ms: joins are done. */
export async function settle(server: ServerProcess): Promise<void> {
  const end = performance.now() + 20_000;
  let quiet = 0;
  let last = server.cpu();
  while (quiet < 3 && performance.now() < end) {
    await sleep(100);
    const now = server.cpu();
    quiet = now - last <= 0.002 ? quiet + 1 : 0;
    last = now;
  }
}
