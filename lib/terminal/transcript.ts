/**
 * The transcript of the full-screen terminal UI as pure data: entries (texts,
 * actions, notices) each with the time it was shown, own texts with their
 * delivery state, and how one entry looks as styled spans. Also the
 * scrollback window: which rows show for a height and a scroll offset.
 * Everything a member sent is made safe here, before it becomes a span.
 *
 * @module
 */

import { sanitizeForTerminal as safe } from "../sanitize.ts";
import { nickColour, type Span, wrapSpans } from "./style.ts";

/** Where an own text is on its way to the room. */
export type Delivery = "pending" | "refused" | "undelivered" | "delivered";

/** One transcript entry. Text fields hold what was received, not yet made safe. */
export type Entry =
  | {
    kind: "text" | "action";
    time: number;
    nick: string;
    text: string;
    /** Sent by this client; `n` is its message number. */
    own?: { n: number; delivery: Delivery };
    /** Names this client's nick. */
    mention?: boolean;
  }
  | { kind: "info" | "error"; time: number; text: string };

/** Most entries kept; older ones scroll out for good. */
export const MAX_ENTRIES = 5000;

/** `HH:MM` of a time, local clock. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether `text` names `nick` as a word (case-insensitive), e.g. "bob:" or "hi @bob". */
export function mentions(text: string, nick: string): boolean {
  if (nick === "") return false;
  const re = new RegExp(`(^|[^\\p{L}\\p{N}_-])${escapeRegExp(nick)}($|[^\\p{L}\\p{N}_-])`, "iu");
  return re.test(text);
}

const MARKS: Record<Delivery, Span | null> = {
  pending: { text: " (sending…)", style: { dim: true } },
  refused: { text: " (refused: rate limit; sending again)", style: { fg: 33 } },
  undelivered: { text: " (not delivered)", style: { fg: 31, bold: true } },
  delivered: null,
};

/** How an entry looks: time, then the line, own nick bold, mentions reversed. */
export function entrySpans(e: Entry): Span[] {
  const time: Span = { text: `${formatTime(e.time)} `, style: { dim: true } };
  if (!("nick" in e)) {
    return e.kind === "error"
      ? [time, { text: safe(e.text), style: { fg: 31 } }]
      : [time, { text: `-- ${safe(e.text)}`, style: { dim: true } }];
  }
  const nickStyle = { fg: nickColour(e.nick), bold: !!e.own };
  const body: Span = { text: safe(e.text), style: e.mention ? { bold: true, reverse: true } : {} };
  const mark = e.own ? MARKS[e.own.delivery] : null;
  const head: Span[] = e.kind === "action"
    ? [{ text: "* " }, { text: safe(e.nick), style: nickStyle }, { text: " " }]
    : [{ text: "<" }, { text: safe(e.nick), style: nickStyle }, { text: "> " }];
  return [time, ...head, body, ...(mark ? [mark] : [])];
}

/** The rows of a transcript at a width: each entry wrapped, oldest first. */
export function transcriptRows(entries: readonly Entry[], width: number): Span[][] {
  return entries.flatMap((e) => wrapSpans(entrySpans(e), width));
}

/**
 * The rows to show: `height` rows ending `offset` rows above the newest. The
 * offset is clamped so the window never runs past the oldest row.
 */
export function scrollWindow(
  total: number,
  height: number,
  offset: number,
): { start: number; end: number; offset: number } {
  const max = Math.max(0, total - height);
  const o = Math.max(0, Math.min(offset, max));
  const end = total - o;
  return { start: Math.max(0, end - height), end, offset: o };
}
