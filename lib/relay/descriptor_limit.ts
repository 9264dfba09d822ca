/**
 * Fits the relay's client limit to the process's open-file limit. Every connection
 * holds a file descriptor from the moment it is accepted, and a listener built on
 * `node:net` (the TLS port, the web port) stops accepting for good once an accept
 * fails for want of one: the relay stayed up but took no one new (checked under
 * `ulimit -n 200`). So `--max-clients` is lowered, with a log line, to what the
 * descriptors can hold with a reserve for the relay itself and for connections
 * being refused; the limits then turn the rest away with `server-full`. First the
 * soft limit is raised to the hard one, as Go programs do at start. Both go through
 * libc's `getrlimit`/`setrlimit` (the relay ships with `--allow-ffi`; reading
 * `/proc/self/limits` would need `--allow-all`), on Linux only: elsewhere, or
 * without FFI, nothing is changed.
 *
 * @module
 */

/** Descriptors kept for the relay's own files, sockets and runtime. */
export const RESERVED_DESCRIPTORS = 64;
/** Share of the limit kept for connections accepted only to be refused and closed. */
export const REFUSAL_SHARE = 1 / 8;

/** Linux's `RLIMIT_NOFILE`. */
const RLIMIT_NOFILE = 7;

/**
 * Raises this process's soft open-file limit to its hard one where it is lower, and
 * returns the soft limit now in force; null where it cannot be read (not Linux, no FFI).
 */
export function raiseOpenFileLimit(): number | null {
  if (Deno.build.os !== "linux") return null;
  let lib;
  try {
    lib = Deno.dlopen(
      "libc.so.6",
      {
        getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
        setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
      } as const,
    );
  } catch {
    return null;
  }
  try {
    // struct rlimit { rlim_t rlim_cur, rlim_max; }, two 64-bit counts.
    const limit = new BigUint64Array(2);
    const bytes = new Uint8Array(limit.buffer);
    if (lib.symbols.getrlimit(RLIMIT_NOFILE, bytes) !== 0) return null;
    if (limit[0] < limit[1]) {
      const soft = limit[0];
      limit[0] = limit[1];
      if (lib.symbols.setrlimit(RLIMIT_NOFILE, bytes) !== 0) limit[0] = soft;
    }
    return limit[0] >= BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(limit[0]);
  } finally {
    lib.close();
  }
}

/** The most clients `limit` descriptors hold, after the reserve and the refusals' share. */
export function clientsWithin(limit: number): number {
  return Math.max(1, Math.floor(limit - RESERVED_DESCRIPTORS - limit * REFUSAL_SHARE));
}

/** `maxClients`, lowered to what an open-file limit of `limit` holds (null: no limit known). */
export function fitMaxClients(maxClients: number, limit: number | null): number {
  return limit === null ? maxClients : Math.min(maxClients, clientsWithin(limit));
}
