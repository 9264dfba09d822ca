/**
 * Closing a test's socket with a TCP reset instead of a FIN, to exercise what a
 * relay does when a peer vanishes abruptly.
 *
 * @module
 */

import { C, libc } from "../../lib/relay/epoll/libc.ts";

const SO_LINGER = 13;

/** Closes `peer` (a socket with a descriptor) so that it sends a reset: SO_LINGER, zero timeout. */
export function resetClose(peer: { fd: number; close(): void }): void {
  const linger = new Uint8Array(new Int32Array([1, 0]).buffer);
  const rc = libc().setsockopt(peer.fd, C.SOL_SOCKET, SO_LINGER, linger, linger.length);
  if (rc !== 0) throw new Error(`setsockopt(SO_LINGER) failed: ${rc}`);
  peer.close();
}
