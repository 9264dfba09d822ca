/**
 * What a relay connection needs from its relay: its settings, and the room
 * operations that involve other connections. An interface, so that a
 * connection holds no reference to the relay's internals.
 *
 * @module
 */

import type { ErrorBody, Hello } from "../protocol.ts";
import type { LogValue } from "../log.ts";
import type { RelayConnection } from "./connection.ts";
import type { RelayOptions } from "./options.ts";
import type { Coalescer } from "./coalescer.ts";

/** What a connection needs from its relay. */
export interface RelayContext {
  /** The relay's settings. */
  readonly options: RelayOptions;
  /** The shared flush turn that text and control frames wait for while the relay is busy. */
  readonly coalescer: Coalescer;
  /** Places a connection in its room, or says why not. */
  join(conn: RelayConnection, hello: Hello): ErrorBody | null;
  /** Takes a connection out of its room and the relay's books. */
  leave(conn: RelayConnection): void;
  /** The member asks for (on) or gives up (off) the floor. */
  talk(conn: RelayConnection, on: boolean): void;
  /** Logs one event. */
  log(event: string, fields: Record<string, LogValue>): void;
  /** Recent texts of the connection's room for it to resume with (not its own). */
  recentTexts(conn: RelayConnection): Promise<Uint8Array[]>;
}
