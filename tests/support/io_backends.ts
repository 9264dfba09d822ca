/**
 * The relay's socket I/O backends, for tests that run the same behaviour on
 * each: Deno's sockets as shipped (TLS unless a test says otherwise),
 * `--io epoll` and `--io uring`, which serve plain TCP only. A test loops over
 * {@linkcode IO_BACKENDS} and starts its relay with `backend.args` added.
 * Where io_uring cannot be set up (a container that forbids it), the uring
 * backend is left out, with a warning that says why.
 *
 * @module
 */

import { uringAvailable } from "../../lib/relay/uring/ring.ts";

/** One backend: its name for the test title and the relay flags that select it. */
export interface IoBackend {
  /** "deno", "epoll" or "uring". */
  name: string;
  /** Flags added to the relay's (epoll needs plain TCP). */
  args: string[];
}

const uringMissing = uringAvailable();
if (uringMissing !== null) console.warn(`--io uring not tested here: ${uringMissing}`);

/** The backends: Deno's I/O, the epoll loop over libc, and io_uring where it can run. */
export const IO_BACKENDS: readonly IoBackend[] = [
  { name: "deno", args: [] },
  { name: "epoll", args: ["--no-tls", "--io", "epoll"] },
  ...(uringMissing === null ? [{ name: "uring", args: ["--no-tls", "--io", "uring"] }] : []),
];

/** `args` with the backend's flags, without a second --no-tls. */
export function withBackend(backend: IoBackend, args: string[] = []): string[] {
  return [...args, ...backend.args.filter((a) => a !== "--no-tls" || !args.includes(a))];
}
