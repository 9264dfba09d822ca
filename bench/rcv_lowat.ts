/**
 * A receive low-water mark for the generator's counting receivers. A relay
 * that writes every delivery as its own TCP segment would otherwise wake the
 * generator's event loop every few segments (tens of thousands of times a
 * second at 100,000 deliveries/s), and those wakeups, not the reads, were the
 * generator's floor. With `SO_RCVLOWAT` the kernel signals a counting socket
 * only once a few kilobytes wait; setting it back to 1 after the window wakes
 * every socket at once, so nothing is left unread. Deno has no socket option
 * for it, so it is set through FFI on the socket's descriptor, found from the
 * connection's local port in /proc/net/tcp and /proc/self/fd. Bench only.
 *
 * @module
 */

const SOL_SOCKET = 1;
const SO_RCVLOWAT = 18;

/**
 * Local port → socket inode of the loopback TCP connections to `remotePort`,
 * from /proc/net/tcp text (a local port alone can repeat across destinations).
 */
export function inodesByLocalPort(procNetTcp: string, remotePort: number): Map<number, number> {
  const out = new Map<number, number>();
  const remote = `0100007F:${remotePort.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of procNetTcp.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[2] !== remote || !f[1].startsWith("0100007F:")) continue;
    const inode = Number(f[9]);
    if (inode > 0) out.set(parseInt(f[1].split(":")[1], 16), inode);
  }
  return out;
}

/** Sets `SO_RCVLOWAT` on this process's sockets by their local port. */
export class LowWater {
  readonly #setsockopt: (
    fd: number,
    level: number,
    name: number,
    value: Uint8Array,
    len: number,
  ) => number;
  readonly #close: () => void;

  private constructor(
    lib: Deno.DynamicLibrary<{
      setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"]; result: "i32" };
    }>,
  ) {
    this.#setsockopt = (fd, level, name, value, len) =>
      lib.symbols.setsockopt(fd, level, name, value, len);
    this.#close = () => lib.close();
  }

  /** Opens libc's `setsockopt`; null where FFI is not allowed or not there. */
  static open(): LowWater | null {
    try {
      return new LowWater(
        Deno.dlopen(
          "libc.so.6",
          {
            setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
          } as const,
        ),
      );
    } catch {
      return null;
    }
  }

  /**
   * Sets the mark to `bytes` on this process's sockets from 127.0.0.1:`ports`
   * to 127.0.0.1:`remotePort`; returns how many took it.
   */
  set(ports: Iterable<number>, remotePort: number, bytes: number): number {
    const inodes = inodesByLocalPort(Deno.readTextFileSync("/proc/net/tcp"), remotePort);
    const fdByInode = new Map<number, number>();
    for (const e of Deno.readDirSync("/proc/self/fd")) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/self/fd/${e.name}`));
        if (m) fdByInode.set(Number(m[1]), Number(e.name));
      } catch {
        // Closed meanwhile.
      }
    }
    const value = new Uint8Array(new Int32Array([Math.max(1, bytes)]).buffer);
    let done = 0;
    for (const port of ports) {
      const fd = fdByInode.get(inodes.get(port) ?? -1);
      if (fd !== undefined && this.#setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, value, 4) === 0) done++;
    }
    return done;
  }

  /** Releases the library. */
  close(): void {
    this.#close();
  }
}
