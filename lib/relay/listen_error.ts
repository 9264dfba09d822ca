/**
 * The error a relay raises when it cannot listen, and the message that says
 * what to do about it: a port in use, no permission, a bad address. The relay
 * and the worker pool both raise it, so the wording lives here once.
 *
 * @module
 */

/** Raised when the relay cannot listen (port in use, bad address, no permission). */
export class ListenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ListenError";
  }
}

/** Whether `cause` says the address is taken, as a Deno error or a Node-style code. */
function inUse(cause: unknown): boolean {
  return cause instanceof Deno.errors.AddrInUse ||
    (cause as { code?: string }).code === "EADDRINUSE";
}

/** The {@linkcode ListenError} for a failure to listen on `host:port`, saying what to do. */
export function listenError(cause: unknown, host: string, port: number): ListenError {
  const code = (cause as { code?: string }).code;
  const why = inUse(cause)
    ? `port ${port} is already in use; stop the other program or pick another --port`
    : cause instanceof Deno.errors.PermissionDenied || code === "EACCES"
    ? `no permission to listen on ${host}:${port}; pick a port above 1023`
    : `cannot listen on ${host}:${port}: ${(cause as Error).message}`;
  return new ListenError(why, { cause });
}

/**
 * Why the web port `port` could not be opened, or null when it is in use and
 * `optional`: then the relay goes on without it (see {@linkcode webOffReason}).
 */
export function webListenError(
  cause: unknown,
  host: string,
  port: number,
  optional: boolean,
): ListenError | null {
  if (!inUse(cause)) {
    return new ListenError(
      `cannot serve the web port ${host}:${port}: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (optional) return null;
  return new ListenError(
    `web port ${port} is already in use; pick another --web-port or --no-web`,
    { cause },
  );
}

/** The log reason for a relay that goes on without its optional web port `port`. */
export function webOffReason(port: number): string {
  return `port ${port} is in use; give --web-port or --no-web`;
}
