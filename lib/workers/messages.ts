/**
 * What the workers of one relay and the hub on its main thread say to each
 * other, over each worker's message channel. Room frames travel as the relay
 * sends them to its clients (stamps and sealed bytes), so the channel, like the
 * relay, carries routing metadata and ciphertext only.
 *
 * @module
 */

import type { Member } from "../protocol.ts";
import type { Refusal } from "../relay/connection_gate.ts";
import type { RelayOptions } from "../relay/options.ts";

/** How a worker starts: its index and the relay options it serves with. */
export interface WorkerStart {
  t: "start";
  /** The worker's index, 0 to N − 1 (also its member id slot). */
  index: number;
  /** Options of its relay (the port already bound by worker 0 when it is not the first). */
  options: RelayOptions;
  /** NATS servers to join the cluster through, as its own relay (null: the hub links rooms). */
  nats: { servers: string[]; natsCaFile?: string } | null;
}

/** A worker's message to the hub. */
export type ToHub =
  /** Its listeners are open, at these ports (web null when it serves none). */
  | { t: "listening"; port: number; webPort: number | null }
  /** It could not start; `listen` when a port could not be had. */
  | { t: "failed"; message: string; listen: boolean }
  /** Its relay shut down and every connection is closed. */
  | { t: "stopped" }
  /** A connection from `ip` opened: may it stay? (answered by `gate`) */
  | { t: "gate"; seq: number; ip: string }
  /** A connection counted by `gate` closed. */
  | { t: "ungate"; ip: string }
  /** A member was admitted: reserve its nick room-wide. */
  | { t: "join"; room: string; member: Member }
  /** A member left. */
  | { t: "leave"; room: string; member: Member }
  /** Claim the half-duplex floor for `nick` (answered by `claim`). */
  | { t: "claim"; seq: number; room: string; nick: string }
  /** `nick` gave the floor up. */
  | { t: "release"; room: string; nick: string }
  /** Frames for the members of their rooms on other workers: `frames[i]` is of `rooms[i]`. */
  | { t: "frames"; rooms: string[]; frames: Uint8Array[] }
  /** The recent texts of `room` but `nick`'s, from the other workers (answered by `history`). */
  | { t: "history"; seq: number; room: string; nick: string }
  /** This worker's answer to `history-ask` `ask`. */
  | { t: "history-answer"; ask: number; frames: Uint8Array[] };

/** The hub's message to a worker. */
export type FromHub =
  | WorkerStart
  /** Shut down (SIGTERM or SIGINT reached the main thread). */
  | { t: "stop" }
  /** The gate's answer to `gate` `seq`. */
  | { t: "gate"; seq: number; refusal: Refusal | null }
  /** `nick` in `room` is now on worker `worker` as `member`, or gone (null). */
  | { t: "present"; room: string; nick: string; entry: { relay: string; member: Member } | null }
  /** A member this worker admitted lost its nick to a member of another worker. */
  | { t: "refused"; room: string; member: Member }
  /** The answer to `claim` `seq`: null granted, else the holder's nick. */
  | { t: "claim"; seq: number; holder: string | null }
  /** The half-duplex floor of `room` is now `nick`'s (null: free). */
  | { t: "floor"; room: string; nick: string | null }
  /** Frames from other workers: `frames[i]` is of `rooms[i]`. */
  | { t: "frames"; rooms: string[]; frames: Uint8Array[] }
  /** Another worker asks for `room`'s recent texts but `nick`'s. */
  | { t: "history-ask"; ask: number; room: string; nick: string }
  /** The longest answer to `history` `seq`. */
  | { t: "history"; seq: number; frames: Uint8Array[] };

/** One message the hub sends: to which worker, and what. */
export interface Outbound {
  /** Worker index. */
  to: number;
  /** The message. */
  msg: FromHub;
}

/** The relay id a worker has in presence entries (as a relay has in a NATS cluster). */
export function workerRelayId(index: number): string {
  return `worker-${index}`;
}
