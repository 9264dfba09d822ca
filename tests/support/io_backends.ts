/**
 * The relay's socket I/O backends, for tests that run the same behaviour on
 * each: Deno's sockets as shipped (TLS unless a test says otherwise), and
 * `--io epoll`, which serves plain TCP only. A test loops over
 * {@linkcode IO_BACKENDS} and starts its relay with `backend.args` added.
 *
 * @module
 */

/** One backend: its name for the test title and the relay flags that select it. */
export interface IoBackend {
  /** "deno" or "epoll". */
  name: string;
  /** Flags added to the relay's (epoll needs plain TCP). */
  args: string[];
}

/** Both backends: Deno's I/O, and the epoll loop over libc. */
export const IO_BACKENDS: readonly IoBackend[] = [
  { name: "deno", args: [] },
  { name: "epoll", args: ["--no-tls", "--io", "epoll"] },
];

/** `args` with the backend's flags, without a second --no-tls. */
export function withBackend(backend: IoBackend, args: string[] = []): string[] {
  return [...args, ...backend.args.filter((a) => a !== "--no-tls" || !args.includes(a))];
}
