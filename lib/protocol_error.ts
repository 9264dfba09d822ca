/**
 * The error codes relay and client report (in error frames and client events), and
 * the error raised for a payload that does not parse as the message its frame type
 * names, which carries the code to report to the peer.
 *
 * @module
 */

/** Error codes a relay or client reports. */
export type ErrorCode =
  | "bad-passphrase"
  | "tampered"
  | "replayed"
  | "forged"
  | "missing-key"
  | "nick-taken"
  | "server-full"
  | "frame-too-large"
  | "disconnected"
  | "unreachable"
  | "bad-frame"
  | "bad-hello"
  | "bad-version"
  | "hello-timeout"
  | "rate-limited"
  | "too-many-connections"
  | "slow-consumer"
  | "shutdown"
  | "no-audio"
  | "audio"
  | "relay-key-changed"
  | "tls-failed";

/** Raised for a payload that does not parse as the message its frame type names. */
export class ProtocolError extends TypeError {
  /** Code to report to the peer. */
  readonly code: ErrorCode;
  /** An error to report to the peer as `code`. */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
  }
}
