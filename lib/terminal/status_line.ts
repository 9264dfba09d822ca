/**
 * The status line under the transcript, as pure data: relay and connection
 * state, room, member count, who holds the floor, and while this client talks
 * its level meter and talk time. Drawn in reverse video (when styling is on)
 * and cut to the terminal width, so it never wraps into the input line.
 *
 * @module
 */

import { sanitizeForTerminal as safe } from "../sanitize.ts";
import { nickColour, type Span, truncateSpans } from "./style.ts";

/** The connection as the status line tells it. */
export type Connection =
  | { state: "connecting" | "connected" | "leaving" }
  | { state: "reconnecting"; at: number }
  | { state: "disconnected" };

/** Everything the status line shows. */
export interface Status {
  /** The relay (host:port). */
  relay: string;
  /** Connection state. */
  connection: Connection;
  /** Room. */
  room: string;
  /** Members in the room, this client included. */
  members: number;
  /** Nicks holding the floor. */
  talkers: readonly string[];
  /** While this client talks: the level bar and when the talk began. */
  talk: { level: string; since: number } | null;
  /** Rows the transcript is scrolled up (0 at the newest). */
  scrolled: number;
  /** Own texts waiting for their acknowledgement. */
  pending: number;
}

/** `m:ss` of a duration. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function connectionText(c: Connection, now: number): string {
  if (c.state === "reconnecting") {
    return `reconnecting in ${Math.max(0, Math.ceil((c.at - now) / 1000))} s`;
  }
  return c.state;
}

/** The status line at `now`, at most `width` cells. */
export function statusSpans(s: Status, now: number, width: number): Span[] {
  const sep: Span = { text: " │ " };
  const spans: Span[] = [
    { text: ` ${safe(s.relay)} ` },
    {
      text: connectionText(s.connection, now),
      style: s.connection.state === "connected" ? {} : { bold: true },
    },
    sep,
    { text: `[${safe(s.room)}] ${s.members} here` },
  ];
  if (s.talkers.length > 0) {
    spans.push(sep);
    s.talkers.forEach((t, i) => {
      if (i > 0) spans.push({ text: ", " });
      spans.push({ text: safe(t), style: { fg: nickColour(t), bold: true } });
    });
    spans.push({ text: " talking" });
  }
  if (s.talk) {
    spans.push(sep, { text: `● ${s.talk.level} ${formatDuration(now - s.talk.since)}` });
  }
  if (s.pending > 0) spans.push(sep, { text: `${s.pending} sending` });
  if (s.scrolled > 0) spans.push(sep, { text: `↑ ${s.scrolled} rows (PageDown)` });
  const cut = truncateSpans(spans, width);
  const used = cut.reduce((n, x) => n + [...x.text].length, 0);
  if (used < width) cut.push({ text: " ".repeat(width - used) });
  return cut.map((x) => ({ ...x, style: { ...x.style, reverse: true } }));
}
