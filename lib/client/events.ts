/**
 * Everything a client reports, as one tagged union. The terminal UI renders
 * these for a person; `--json` writes each as one line for a program. Keeping
 * one vocabulary means scripts see exactly what people see.
 *
 * @module
 */

import type { ErrorCode } from "../protocol.ts";

/** One thing that happened, from the client's point of view. */
export type ClientEvent =
  | {
    event: "ready";
    nick: string;
    room: string;
    members: string[];
    duplex: "half" | "full";
    fingerprint?: string;
  }
  | { event: "joined"; nick: string; room: string; fingerprint?: string; verified?: boolean }
  | { event: "left"; nick: string; room: string }
  | {
    event: "text";
    from: string;
    room: string;
    text: string;
    ts: number;
    action?: boolean;
    /** Set while the sender's new identity has not been accepted (`/accept NICK`). */
    identityChanged?: true;
  }
  | {
    event: "sent";
    n: number;
    nick: string;
    room: string;
    text: string;
    ts: number;
    action?: boolean;
  }
  | { event: "acked"; n: number }
  | { event: "refused"; n: number; reason: string }
  | { event: "undelivered"; n: number; text: string }
  | { event: "who"; room: string; members: string[]; entries?: MemberInfo[] }
  | { event: "keys-ready"; room: string; members: number }
  | { event: "identity-changed"; nick: string; room: string; old: string; new: string }
  | { event: "safety-number"; nick: string; room: string; number: string; verified: boolean }
  | {
    /** Voice is set up: the devices (or files) it uses; null for a missing one. */
    event: "voice-ready";
    mic: string | null;
    speaker: string | null;
  }
  | { event: "talk-start"; nick: string; room: string }
  | { event: "talk-end"; nick: string; room: string }
  | { event: "floor-denied"; holder: string; room: string }
  | { event: "reconnecting"; inMs: number; attempt: number }
  | { event: "reconnected"; room: string }
  | { event: "notice"; message: string }
  | { event: "error"; code: ErrorCode; message: string; from?: string };

/** A member's identity as `/who` shows it. */
export interface MemberInfo {
  /** Nick. */
  nick: string;
  /** Fingerprint of its identity key (30 digits); absent when it has none. */
  fingerprint?: string;
  /** Whether the user verified it (`/trust`). */
  verified: boolean;
}

/** Events about this client's own texts, shown on a pipe or in `--json` only with `--echo-own`. */
export const OWN_TEXT_EVENTS: ReadonlySet<ClientEventName> = new Set([
  "sent",
  "acked",
  "refused",
  "undelivered",
]);

/** The name of an event. */
export type ClientEventName = ClientEvent["event"];

/** One JSON line for `--json` output. */
export function eventToJson(e: ClientEvent): string {
  return JSON.stringify(e);
}
