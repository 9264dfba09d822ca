/**
 * Client side of the epoll backend: a nonblocking connect that resolves to the
 * same {@linkcode EpollConn} the relay's listener hands out. For load
 * generators (bench/) that hold thousands of connections and should read them
 * as cheaply as the relay does.
 *
 * @module
 */

import { C, check, Errno, errno, errnoError, libc, openSocket, setIntOption } from "./libc.ts";
import { encodeSockAddr } from "./sockaddr.ts";
import { EpollConn } from "./socket.ts";

/**
 * Connects to `host:port` (a numeric address or "localhost") with TCP_NODELAY
 * set; throws the `Deno.errors` class Deno.connect would (ConnectionRefused…).
 */
export async function connect(host: string, port: number): Promise<EpollConn> {
  const sa = encodeSockAddr(host, port);
  const c = libc();
  const fd = openSocket(sa.family);
  let conn: EpollConn;
  try {
    check(setIntOption(fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1), "setsockopt");
    if (c.connect(fd, sa.bytes, sa.bytes.length) === -1) {
      const code = errno();
      if (code !== Errno.EINPROGRESS) throw errnoError(code, "connect");
    }
    const addr = host === "localhost" ? "127.0.0.1" : host.replace(/^\[(.*)\]$/, "$1");
    conn = new EpollConn(fd, { transport: "tcp", hostname: addr, port }, true);
  } catch (err) {
    check(c.close(fd), "close");
    throw err;
  }
  try {
    await conn.connected();
  } catch (err) {
    if (!conn.closed) conn.close();
    throw err;
  }
  return conn;
}
