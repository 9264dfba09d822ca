/// <reference lib="dom" />
/**
 * Member identities in the page: the commands typed in the message field
 * (`/verify NICK` shows the same safety number as the terminal's `/verify`,
 * `/trust` and `/accept` as there, `/me`, `/who`, `/help`), and the trust
 * marks of the member list: verified members and members whose identity
 * changed, each as a visible mark and in the item's accessible name.
 *
 * @module
 */

import type { ChatClient } from "../client/chat_client.ts";
import type { ClientEvent } from "../client/events.ts";
import { parseCommand } from "../client/commands.ts";
import type { LineKind } from "./event_lines.ts";

/** What the page shows of a member's identity. */
export type TrustMark = "verified" | "changed";

const MARK_TEXT: Record<TrustMark, string> = {
  verified: "verified",
  changed: "identity changed",
};

/** The commands the page understands, for `/help`. */
export const PAGE_HELP = "commands: /verify NICK shows the safety number to compare with NICK; " +
  "/trust NICK marks NICK verified; /accept NICK accepts NICK's changed identity; " +
  "/me ACTION; /who lists members; //text sends a text starting with /";

/** The trust marks of one room's member list, kept on its items. */
export class MemberMarks {
  readonly #list: HTMLElement;
  readonly #marks = new Map<string, TrustMark>();
  /** A `/who` typed by the user is shown; the page's own refreshes are not. */
  #showWho = false;
  /** This page's nick: it is not marked. */
  #self = "";

  /** Marks for the items (`li[data-nick]`) of `list`. */
  constructor(list: HTMLElement) {
    this.#list = list;
  }

  /** The mark of `nick`, if any. */
  mark(nick: string): TrustMark | undefined {
    return this.#marks.get(nick);
  }

  /**
   * Takes an event; returns a transcript line to show for it when the page
   * should show one that {@linkcode lineOf} does not (a `/who` the user asked for).
   */
  onEvent(e: ClientEvent): string | null {
    switch (e.event) {
      case "ready":
        this.#self = e.nick;
        break;
      case "joined":
        this.#set(e.nick, e.verified ? "verified" : undefined, true);
        break;
      case "identity-changed":
        this.#set(e.nick, "changed");
        break;
      case "safety-number":
        if (e.verified) this.#set(e.nick, "verified");
        break;
      case "who": {
        for (const m of e.entries ?? []) {
          this.#set(m.nick, m.verified ? "verified" : undefined, true);
        }
        if (!this.#showWho) break;
        this.#showWho = false;
        const entries = e.entries ?? e.members.map((nick) => ({ nick, verified: false }));
        return `in ${e.room}: ${
          entries.map((m) => `${m.nick}${m.verified ? " ✓" : ""}`).join(", ")
        }`;
      }
    }
    this.refresh();
    return null;
  }

  /** The user asked for the member list (`/who`): the next answer is shown. */
  showNextWho(): void {
    this.#showWho = true;
  }

  /** The user accepted `nick`'s changed identity. */
  accepted(nick: string): void {
    if (this.#marks.get(nick) === "changed") this.#marks.delete(nick);
    this.refresh();
  }

  /** Puts the marks on the list's current items. */
  refresh(): void {
    for (const el of this.#list.children) {
      const li = el as HTMLElement;
      const nick = li.dataset.nick;
      if (nick === undefined) continue;
      const mark = this.#marks.get(nick);
      if (mark) {
        li.dataset.trust = mark;
        li.setAttribute("aria-label", `${nick}, ${MARK_TEXT[mark]}`);
      } else {
        delete li.dataset.trust;
        li.removeAttribute("aria-label");
      }
    }
  }

  /** Sets (or clears) a mark; a changed identity stays marked until accepted or trusted. */
  #set(nick: string, mark: TrustMark | undefined, keepChanged = false): void {
    if (nick === this.#self) return;
    if (keepChanged && this.#marks.get(nick) === "changed" && mark !== "verified") return;
    if (mark) this.#marks.set(nick, mark);
    else this.#marks.delete(nick);
  }
}

/**
 * Runs a line typed in the message field: a text, or one of the page's
 * commands; `say` shows a line in the transcript.
 */
export function runLine(
  client: ChatClient,
  marks: MemberMarks,
  line: string,
  say: (text: string, kind: LineKind) => void,
): void {
  const cmd = parseCommand(line);
  switch (cmd.kind) {
    case "empty":
      return;
    case "text":
    case "me":
      client.sendText(cmd.text, cmd.kind === "me");
      return;
    case "identity":
      client.identity(cmd.action, cmd.nick);
      if (cmd.action === "accept") marks.accepted(cmd.nick);
      // The relay's member list brings the new marks (verified, accepted).
      if (cmd.action !== "verify") client.who();
      return;
    case "who":
      marks.showNextWho();
      return client.who();
    case "help":
      return say(PAGE_HELP, "system");
    case "usage":
      return say(cmd.message, "error");
    case "unknown":
      return say(`unknown command /${cmd.name}; /help lists commands`, "error");
    default:
      return say(`/${cmd.kind} is not available in the page; /help lists commands`, "error");
  }
}
