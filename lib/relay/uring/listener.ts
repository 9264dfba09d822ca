/**
 * The io_uring backend's listening socket (`am-server --io uring`): accepted
 * like the epoll backend's, each connection then handed over to this thread's
 * ring as a {@linkcode UringConn}, so that its reads are one multishot receive
 * and the writes of a fan-out's turn one `io_uring_enter`.
 *
 * @module
 */

import { EpollListener } from "../epoll/listener.ts";
import type { RelayListener } from "../socket.ts";
import { UringConn } from "./conn.ts";
import { uringLoop } from "./loop.ts";

/** A listening TCP socket whose connections run on io_uring. */
export class UringListener implements RelayListener {
  readonly #listener: EpollListener;

  private constructor(listener: EpollListener) {
    this.#listener = listener;
  }

  /**
   * Listens on `host:port` as {@linkcode EpollListener.open} does; throws a `UringError`
   * first where io_uring cannot be set up.
   */
  static open(host: string, port: number, reusePort = false): UringListener {
    uringLoop();
    return new UringListener(EpollListener.open(host, port, reusePort));
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /** Stops accepting. */
  close(): void {
    this.#listener.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<UringConn> {
    for await (const conn of this.#listener) yield UringConn.adopt(conn);
  }
}
