/**
 * What a typed line means. A line starting with `/` is a command; the original
 * project's `[audio]` starts talking; anything else is a message. The same
 * rules hold on a terminal and on a pipe, so bots can do what people do.
 *
 * @module
 */

/** A parsed input line. */
export type Command =
  | { kind: "text"; text: string }
  | { kind: "me"; text: string }
  | { kind: "nick"; nick: string }
  | { kind: "join"; room: string }
  | { kind: "who" }
  | { kind: "quit" }
  | { kind: "help" }
  | { kind: "talk" }
  | { kind: "stop" }
  | { kind: "clear" }
  | { kind: "empty" }
  | { kind: "usage"; message: string }
  | { kind: "unknown"; name: string };

/** Command names, for `/help` and Tab completion. */
export const COMMAND_NAMES: readonly string[] = [
  "/clear",
  "/help",
  "/join",
  "/me",
  "/nick",
  "/quit",
  "/stop",
  "/talk",
  "/who",
];

/** Parses one input line (without its newline). */
export function parseCommand(line: string): Command {
  const trimmed = line.trim();
  if (trimmed === "") return { kind: "empty" };
  if (trimmed === "[audio]") return { kind: "talk" };
  // "//text" sends a message that starts with a slash.
  if (trimmed.startsWith("//")) return { kind: "text", text: line.slice(line.indexOf("/") + 1) };
  if (!trimmed.startsWith("/")) return { kind: "text", text: line };
  const name = trimmed.slice(1).split(/\s+/)[0].toLowerCase();
  const rest = trimmed.slice(1 + name.length).trim();
  switch (name) {
    case "who":
    case "quit":
    case "help":
    case "talk":
    case "stop":
    case "clear":
      return { kind: name };
    case "exit":
      return { kind: "quit" };
    case "me":
      return rest ? { kind: "me", text: rest } : { kind: "usage", message: "usage: /me ACTION" };
    case "nick":
      return /^\S+$/.test(rest)
        ? { kind: "nick", nick: rest }
        : { kind: "usage", message: "usage: /nick NEWNICK" };
    case "join":
      return /^\S+$/.test(rest)
        ? { kind: "join", room: rest }
        : { kind: "usage", message: "usage: /join ROOM" };
    default:
      return { kind: "unknown", name };
  }
}

/** The `/help` text. */
export function helpText(talkKey: string | null): string {
  return [
    "Commands:",
    "  /me ACTION      send an action, shown as * nick ACTION",
    "  /nick NEW       change your nick (you keep the old one if NEW is taken)",
    "  /join ROOM      leave this room and join ROOM (asks for its passphrase if",
    "                  the first one was typed at a prompt)",
    "  /who            list the members of the room",
    "  /talk, [audio]  start talking (ends by itself after silence)",
    "  /stop           stop talking",
    "  /clear          clear the transcript",
    "  /help           this list",
    "  /quit           leave (Ctrl-D too)",
    "  //text          send a message that starts with /",
    ...(talkKey
      ? [
        `  ${talkKey.padEnd(15)} toggle talking`,
        "  Tab             complete a nick or a command",
        "  PageUp/PageDown scroll the transcript",
      ]
      : []),
  ].join("\n");
}
