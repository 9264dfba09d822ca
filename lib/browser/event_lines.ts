/**
 * What the page's transcript shows for each client event: pure data in, one
 * line (text and kind) out, so the browser's wording matches the terminal's
 * events and is testable without a page.
 *
 * @module
 */

import type { ClientEvent } from "../client/events.ts";

/** How a transcript line is shown. */
export type LineKind = "text" | "own" | "system" | "error";

/** One transcript line. */
export interface Line {
  /** What it says (without the time). */
  text: string;
  /** How it is shown. */
  kind: LineKind;
}

/** The clock time of `ts` (ms since epoch) as HH:MM:SS. */
export function clock(ts: number): string {
  return new Date(ts).toTimeString().slice(0, 8);
}

/** The transcript line of `e`, or null for events shown elsewhere (or not at all). */
export function lineOf(e: ClientEvent): Line | null {
  switch (e.event) {
    case "ready":
      return {
        kind: "system",
        text: `joined ${e.room} as ${e.nick}; members: ${e.members.join(", ")}; ` +
          `your fingerprint: ${e.fingerprint}`,
      };
    case "joined":
      return { kind: "system", text: `${e.nick} joined` };
    case "left":
      return { kind: "system", text: `${e.nick} left` };
    case "text":
      // Like the terminal: texts of a changed identity stay marked until /accept.
      return {
        kind: e.identityChanged ? "error" : "text",
        text: e.action
          ? `* ${e.from} ${e.text}`
          : `<${e.from}>${e.identityChanged ? " (NEW IDENTITY)" : ""} ${e.text}`,
      };
    case "voice-ready":
      return null;
    case "talk-start":
      return { kind: "system", text: `${e.nick} started talking` };
    case "talk-end":
      return { kind: "system", text: `${e.nick} stopped talking` };
    case "floor-denied":
      return { kind: "system", text: `${e.holder} is talking; wait for them to finish` };
    case "keys-ready":
      return { kind: "system", text: `keys exchanged with ${e.members} member(s)` };
    case "identity-changed":
      return {
        kind: "error",
        text: `${e.nick}'s identity CHANGED (was ${e.old}, now ${e.new}): ` +
          `/verify ${e.nick}, then /accept ${e.nick} if it is really them`,
      };
    case "safety-number":
      return {
        kind: "system",
        text: `safety number with ${e.nick}${e.verified ? " (verified)" : ""}: ${e.number}` +
          ` — compare it with theirs, then /trust ${e.nick}`,
      };
    case "reconnecting":
      return {
        kind: "error",
        text: `connection lost; reconnecting in ${Math.round(e.inMs / 1000)} s`,
      };
    case "reconnected":
      return { kind: "system", text: `reconnected to ${e.room}` };
    case "undelivered":
      return { kind: "error", text: `not delivered: ${e.text}` };
    case "notice":
      return { kind: "system", text: e.message };
    case "error":
      return { kind: "error", text: e.message };
    default:
      return null;
  }
}
