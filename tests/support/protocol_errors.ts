/**
 * Assertion helpers for the protocol's errors.
 *
 * @module
 */

import { ProtocolError } from "../../lib/protocol_error.ts";

/** A predicate for `assert.throws`: a {@linkcode ProtocolError} with `code`. */
export function protocolError(code: string): (err: unknown) => boolean {
  return (err: unknown) => err instanceof ProtocolError && err.code === code;
}
