/**
 * What the relay needs of a client connection and of its listener, so that a
 * plain `Deno.Conn` and a TLS connection (lib/relay/tls_listener.ts) serve
 * alike.
 *
 * @module
 */

/** One accepted connection: bytes in, bytes out, and the peer's address. */
export type RelaySocket = Pick<Deno.Conn, "read" | "write" | "close" | "remoteAddr"> & {
  /** True while a TLS handshake is under way: nothing can be sent to the peer yet. */
  readonly handshaking?: boolean;
};

/** Accepts connections until closed. */
export interface RelayListener extends AsyncIterable<RelaySocket> {
  /** The bound address. */
  readonly addr: Deno.Addr;
  /** Stops accepting. */
  close(): void;
}
