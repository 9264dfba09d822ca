/**
 * One-line event logs on stderr: an ISO time, the event, then key=value pairs.
 * Values are quoted when needed and stripped of control characters, so a peer
 * cannot forge log lines through a nick or a room name.
 *
 * @module
 */

/** Values a log field may hold. */
export type LogValue = string | number | boolean | undefined;

import { sanitizeForTerminal } from "./sanitize.ts";

const encoder = new TextEncoder();

/** Formats one log line (without the newline). */
export function formatLogLine(
  event: string,
  fields: Record<string, LogValue>,
  now = new Date(),
): string {
  const parts = [now.toISOString(), event];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = sanitizeForTerminal(String(v));
    parts.push(`${k}=${/[\s"=]/.test(s) || s === "" ? JSON.stringify(s) : s}`);
  }
  return parts.join(" ");
}

/** Writes one event line to stderr. */
export function logEvent(event: string, fields: Record<string, LogValue> = {}): void {
  try {
    Deno.stderr.writeSync(encoder.encode(formatLogLine(event, fields) + "\n"));
  } catch {
    // stderr closed: logging must never take the relay down.
  }
}
