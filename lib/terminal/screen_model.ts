/**
 * What the full-screen terminal UI shows, as pure state: the client's events
 * turned into transcript entries and status line fields, the scroll offset,
 * and the rows of one frame for a terminal size. No terminal I/O here; the
 * {@linkcode TerminalUi} draws what {@linkcode ScreenModel.frame} returns.
 *
 * @module
 */

import type { ClientEvent } from "../client/events.ts";
import { renderEvent } from "./render.ts";
import type { Span } from "./style.ts";
import { type Status, statusSpans } from "./status_line.ts";
import {
  type Delivery,
  type Entry,
  MAX_ENTRIES,
  mentions,
  scrollWindow,
  transcriptRows,
} from "./transcript.ts";

/** One drawn frame: transcript rows (top to bottom) and the status line. */
export interface Frame {
  /** Exactly the transcript height of rows; empty rows are empty arrays. */
  rows: Span[][];
  /** The status line, exactly `width` cells. */
  status: Span[];
}

/** The state behind the screen of one client. */
export class ScreenModel {
  /** This client's nick (mentions of it are highlighted). */
  nick: string;
  readonly #entries: Entry[] = [];
  readonly #own = new Map<number, Entry & { own: { n: number; delivery: Delivery } }>();
  readonly #members = new Set<string>();
  readonly #talkers = new Set<string>();
  #status: Status;
  #offset = 0;

  /** A model for `nick` in `room` on relay `relay`, not yet connected. */
  constructor(nick: string, room: string, relay: string) {
    this.nick = nick;
    this.#status = {
      relay,
      connection: { state: "connecting" },
      room,
      members: 0,
      talkers: [],
      talk: null,
      scrolled: 0,
      pending: 0,
    };
  }

  /** Nicks of the room, for completion. */
  get members(): string[] {
    return [...this.#members];
  }

  /** Entries kept (oldest first). */
  get entries(): readonly Entry[] {
    return this.#entries;
  }

  /** Takes one client event; returns whether it should ring the bell (a mention). */
  event(e: ClientEvent, now: number): boolean {
    switch (e.event) {
      case "text": {
        const mention = e.from !== this.nick && mentions(e.text, this.nick);
        const kind = e.action ? "action" : "text";
        this.#add({ kind, time: now, nick: e.from, text: e.text, mention });
        return mention;
      }
      case "sent": {
        const entry = {
          kind: e.action ? "action" as const : "text" as const,
          time: e.ts,
          nick: e.nick,
          text: e.text,
          own: { n: e.n, delivery: "pending" as Delivery },
        };
        this.#own.set(e.n, entry);
        this.#add(entry);
        break;
      }
      case "acked":
        this.#deliver(e.n, "delivered");
        break;
      case "refused":
        this.#deliver(e.n, "refused");
        break;
      case "undelivered":
        this.#deliver(e.n, "undelivered");
        break;
      default:
        this.#control(e, now);
    }
    this.#status.pending = [...this.#own.values()].filter((x) => x.own.delivery !== "delivered")
      .length;
    return false;
  }

  #control(e: ClientEvent, now: number): void {
    switch (e.event) {
      case "ready":
        this.nick = e.nick;
        this.#status.room = e.room;
        this.#status.connection = { state: "connected" };
        this.#members.clear();
        for (const m of e.members) this.#members.add(m);
        this.#talkers.clear();
        break;
      case "reconnected":
        this.#status.connection = { state: "connected" };
        this.#talkers.clear();
        break;
      case "reconnecting":
        this.#status.connection = { state: "reconnecting", at: now + e.inMs };
        break;
      case "joined":
        this.#members.add(e.nick);
        break;
      case "left":
        this.#members.delete(e.nick);
        this.#talkers.delete(e.nick);
        break;
      case "who":
        this.#members.clear();
        for (const m of e.members) this.#members.add(m);
        break;
      case "talk-start":
        this.#talkers.add(e.nick);
        break;
      case "talk-end":
        this.#talkers.delete(e.nick);
        break;
      case "error":
        if (e.code === "disconnected") this.#status.connection = { state: "disconnected" };
        break;
    }
    this.#status.members = this.#members.size;
    this.#status.talkers = [...this.#talkers];
    const line = renderEvent(e);
    if (line !== null) {
      this.#add({ kind: e.event === "error" ? "error" : "info", time: now, text: line });
    }
  }

  /** Adds a line of the client's own (help, usage, notices), one entry a line. */
  info(text: string, now: number, kind: "info" | "error" = "info"): void {
    for (const line of text.split("\n")) this.#add({ kind, time: now, text: line });
  }

  /** Sets the connection state shown (e.g. leaving a room). */
  setConnection(state: "connecting" | "leaving"): void {
    this.#status.connection = { state };
  }

  /** Sets the level meter while this client talks; null when it stops. */
  setTalk(level: string | null, now: number): void {
    if (level === null) this.#status.talk = null;
    else this.#status.talk = { level, since: this.#status.talk?.since ?? now };
  }

  /** Whether this client is talking (the status line shows a talk time). */
  get talking(): boolean {
    return this.#status.talk !== null;
  }

  /** Whether a reconnect countdown is showing. */
  get counting(): boolean {
    return this.#status.connection.state === "reconnecting";
  }

  /** Empties the transcript (`/clear`). */
  clear(): void {
    this.#entries.length = 0;
    this.#own.clear();
    this.#offset = 0;
  }

  /** Scrolls by `pages` pages of `height` rows (positive: back in time). */
  scroll(pages: number, height: number): void {
    this.#offset = Math.max(0, this.#offset + pages * Math.max(1, height - 1));
  }

  /** The frame for a transcript of `height` rows and `width` columns at `now`. */
  frame(width: number, height: number, now: number): Frame {
    const all = transcriptRows(this.#entries, width);
    const win = scrollWindow(all.length, height, this.#offset);
    this.#offset = win.offset;
    const shown = all.slice(win.start, win.end);
    const rows = [...Array(Math.max(0, height - shown.length)).fill([]), ...shown];
    this.#status.scrolled = win.offset;
    return { rows, status: statusSpans(this.#status, now, width) };
  }

  /** The status line alone at `width` columns (cheap: a level meter redraws it often). */
  statusLine(width: number, now: number): Span[] {
    return statusSpans(this.#status, now, width);
  }

  #deliver(n: number, d: Delivery): void {
    const entry = this.#own.get(n);
    if (!entry) return;
    entry.own.delivery = d;
    // Delivered and failed texts are settled; only the pending count needs them no more.
    if (d === "delivered" || d === "undelivered") this.#own.delete(n);
  }

  #add(e: Entry): void {
    this.#entries.push(e);
    if (this.#entries.length > MAX_ENTRIES) {
      this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    }
  }
}
