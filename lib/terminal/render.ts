/**
 * Events as a person reads them: `[lobby] alice: hello`, `alice joined`.
 * Everything that came from another member passes through
 * {@linkcode sanitizeForTerminal} first.
 *
 * @module
 */

import type { ClientEvent } from "../client/events.ts";
import { sanitizeForTerminal as safe } from "../sanitize.ts";

/** One human-readable line for an event, or null for events people need not see. */
export function renderEvent(e: ClientEvent): string | null {
  switch (e.event) {
    case "ready":
      return `joined [${safe(e.room)}] as ${safe(e.nick)} (${e.duplex} duplex); here: ${
        e.members.map(safe).join(", ")
      }. /help lists commands.`;
    case "joined":
      return `${safe(e.nick)} joined`;
    case "left":
      return `${safe(e.nick)} left`;
    case "text":
      return e.action
        ? `[${safe(e.room)}] * ${safe(e.from)} ${safe(e.text)}`
        : `[${safe(e.room)}] ${safe(e.from)}${e.identityChanged ? " (NEW IDENTITY)" : ""}: ${
          safe(e.text)
        }`;
    case "sent":
      return renderEvent({ ...e, event: "text", from: e.nick });
    case "acked":
      return null;
    case "refused":
      return `! message ${e.n} refused by the relay (${safe(e.reason)}); sending it again`;
    case "undelivered":
      return `! not delivered: ${safe(e.text)}`;
    case "who":
      return `in [${safe(e.room)}]: ${
        (e.entries ?? e.members.map((nick) => ({ nick, verified: false }))).map((m) =>
          `${safe(m.nick)}${m.verified ? " ✓" : ""}`
        ).join(", ")
      }`;
    case "keys-ready":
      return null;
    case "identity-changed":
      return `! ${safe(e.nick)}'s identity CHANGED (was ${e.old}, now ${e.new}): ` +
        `/verify ${safe(e.nick)}, then /accept ${safe(e.nick)} if it is really them`;
    case "safety-number":
      return `safety number with ${safe(e.nick)}${e.verified ? " (verified)" : ""}: ${e.number}` +
        ` — compare it with theirs, then /trust ${safe(e.nick)}`;
    case "voice-ready":
      return `voice: ${
        e.mic === null ? "no microphone (listening only)" : `microphone ${safe(e.mic)}`
      }, ${e.speaker === null ? "no speaker" : `speaker ${safe(e.speaker)}`}`;
    case "talk-start":
      return `${safe(e.nick)} is talking…`;
    case "talk-end":
      return `${safe(e.nick)} is done talking!`;
    case "floor-denied":
      return `${safe(e.holder)} is talking; wait until they are done`;
    case "reconnecting":
      return `reconnecting in ${(e.inMs / 1000).toFixed(1)} s (attempt ${e.attempt})…`;
    case "reconnected":
      return `reconnected to [${safe(e.room)}]`;
    case "notice":
      return safe(e.message);
    case "error":
      return `! ${safe(e.message)}`;
  }
}
