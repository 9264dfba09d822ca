/**
 * The client's fatal errors: what stops a client for good (the first
 * connection failed, or the relay refused the join for a reason another
 * attempt cannot fix), each with the code that `--json` reports.
 *
 * @module
 */

import type { ErrorBody } from "../protocol.ts";

/** Raised when the client cannot go on: the first connection failed, or the relay refused it. */
export class ClientFatalError extends Error {
  /** The code reported to the user. */
  readonly code: ErrorBody["code"];
  constructor(code: ErrorBody["code"], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClientFatalError";
    this.code = code;
  }
}

/** Refusals at join that another attempt cannot fix. */
export const FATAL_AT_JOIN: ReadonlySet<string> = new Set([
  "nick-taken",
  "bad-hello",
  "bad-version",
  "server-full",
  "too-many-connections",
]);
