/**
 * The relay's accept loop, apart from the relay so that its one hard case can be
 * tested without exhausting a real process: an accept that fails because the process
 * (EMFILE) or the system (ENFILE) has no file descriptor left. Deno's listener then
 * throws, and a relay that let it through exited ("Too many open files"). Here the
 * loop pauses and accepts again; the connections waiting are taken once others close.
 *
 * @module
 */

/** Pause before accepting again when out of file descriptors. */
export const ACCEPT_RETRY_MS = 100;
/** At most one report of it this often. */
export const PAUSE_REPORT_MS = 10_000;

/** Whether `err` says the process (EMFILE) or the system (ENFILE) has no descriptor left. */
export function outOfDescriptors(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
}

/** What the loop needs of the relay. */
export interface AcceptLoopHost<C> {
  /** Takes one accepted connection. */
  accept(conn: C): void;
  /** Whether the relay is shutting down (an error then ends the loop quietly). */
  stopping(): boolean;
  /** Accepting failed for want of descriptors; called at most every {@linkcode PAUSE_REPORT_MS}. */
  paused(): void;
  /** Waits `ms` (a timer; tests pass their own). */
  sleep?(ms: number): Promise<void>;
}

/**
 * Accepts from `listener` until it ends or the relay stops; rethrows any other error.
 * Iterating a listener again after it threw goes on accepting from the same socket.
 */
export async function acceptLoop<C>(
  listener: AsyncIterable<C>,
  host: AcceptLoopHost<C>,
): Promise<void> {
  const sleep = host.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  let reported = -Infinity;
  while (!host.stopping()) {
    try {
      for await (const conn of listener) host.accept(conn);
      return;
    } catch (err) {
      if (host.stopping()) return;
      if (!outOfDescriptors(err)) throw err;
      if (performance.now() - reported > PAUSE_REPORT_MS) {
        reported = performance.now();
        host.paused();
      }
      await sleep(ACCEPT_RETRY_MS);
    }
  }
}
