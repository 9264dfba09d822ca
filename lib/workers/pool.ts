/**
 * `am-server --workers N` on the main thread: starts N relay workers on the
 * relay's ports, runs the {@linkcode Hub} between them, and stops them all in
 * order. Worker 0 binds first (with port 0 the system picks the port, and the
 * others must share that one); the rest then bind the same ports. Every
 * listener sets SO_REUSEPORT, which lets any process of the same user bind the
 * port too, so the ports are first checked for a listener: a second relay on a
 * port in use is refused as before, not silently let in.
 *
 * @module
 */

import { logEvent, type LogValue } from "../log.ts";
import type { RelayOptions } from "../relay/options.ts";
import { ListenError, listenError, webListenError, webOffReason } from "../relay/listen_error.ts";
import { Hub } from "./hub.ts";
import type { FromHub, ToHub, WorkerStart } from "./messages.ts";

/** How to run the workers. */
export interface PoolOptions {
  /** Number of workers (2 or more). */
  count: number;
  /** The relay's options. */
  options: RelayOptions;
  /** NATS servers each worker joins as a relay of its own, or null. */
  nats: WorkerStart["nats"];
  /** Logs one event of the main thread (default: stderr lines). */
  log?: (event: string, fields: Record<string, LogValue>) => void;
}

interface Slot {
  worker: Worker;
  listening: PromiseWithResolvers<{ port: number; webPort: number | null }>;
  stopped: PromiseWithResolvers<void>;
}

/**
 * Whether something already listens on `host:port`: a connection attempt, not a
 * trial bind, because a trial listener would itself take connections for a moment
 * (a client or a readiness probe could connect to it and then find nobody there).
 */
async function listenedOn(host: string, port: number): Promise<boolean> {
  if (port === 0) return false;
  const hostname = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const attempt = Deno.connect({ hostname, port }).then((c) => {
    c.close();
    return true;
  }, () => false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((r) => timer = setTimeout(() => r(false), 2000));
  const found = await Promise.race([attempt, late]);
  clearTimeout(timer);
  return found;
}

/** The workers of one relay. */
export class WorkerPool {
  /** Settles with the exit status once every worker has stopped (1 if one died). */
  readonly done: Promise<number>;
  readonly #slots: Slot[] = [];
  readonly #hub: Hub;
  readonly #log: NonNullable<PoolOptions["log"]>;
  readonly #finished = Promise.withResolvers<number>();
  #status = 0;
  #started = false;
  #stopping = false;

  private constructor(o: PoolOptions) {
    this.#hub = new Hub(o.count, o.options);
    this.#log = o.log ?? logEvent;
    this.done = this.#finished.promise;
  }

  /** Starts `o.count` workers and resolves once all of them listen; throws as a relay would. */
  static async start(o: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(o);
    const options = { ...o.options, reusePort: true };
    // Plain TCP listens with Deno.listen, whose reusePort is behind --unstable-net;
    // without it Deno would end the process from inside a worker. The epoll and uring
    // backends set SO_REUSEPORT themselves.
    if (
      !options.tls && options.io === "deno" &&
      typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function"
    ) {
      throw new ListenError(
        "--workers with --no-tls needs Deno's --unstable-net flag (deno task server and the " +
          "compiled am-server have it); add it to `deno run`, or run one worker",
      );
    }
    if (await listenedOn(options.host, options.port)) {
      throw listenError(new Deno.errors.AddrInUse(), options.host, options.port);
    }
    if (options.web && await listenedOn(options.host, options.web.port)) {
      const { port, optional } = options.web;
      const err = webListenError(new Deno.errors.AddrInUse(), options.host, port, optional);
      if (err) throw err;
      pool.#log("web-off", { reason: webOffReason(port) });
      options.web = null;
    }
    try {
      const first = await pool.#spawn(0, options, o.nats);
      const rest = {
        ...options,
        port: first.port,
        web: first.webPort === null ? null : { port: first.webPort, optional: false },
      };
      const others = Array.from(
        { length: o.count - 1 },
        (_, i) => pool.#spawn(i + 1, rest, o.nats),
      );
      await Promise.all(others);
      pool.#log("workers", { count: o.count, port: first.port, web: first.webPort ?? undefined });
      pool.#started = true;
    } catch (err) {
      for (const s of pool.#slots) s.worker.terminate();
      throw err;
    }
    return pool;
  }

  /** Shuts every worker down in order (each says goodbye to its clients). */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const s of this.#slots) s.worker.postMessage({ t: "stop" } satisfies FromHub);
    Promise.all(this.#slots.map((s) => s.stopped.promise)).then(() => {
      for (const s of this.#slots) s.worker.terminate();
      this.#finished.resolve(this.#status);
    });
  }

  #spawn(index: number, options: RelayOptions, nats: WorkerStart["nats"]) {
    const worker = new Worker(new URL("./worker_main.ts", import.meta.url).href, {
      type: "module",
    });
    const slot: Slot = {
      worker,
      listening: Promise.withResolvers(),
      stopped: Promise.withResolvers(),
    };
    this.#slots[index] = slot;
    worker.onmessage = (e: MessageEvent<ToHub>) => this.#receive(index, e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.#died(index, e.message);
    };
    worker.postMessage({ t: "start", index, options, nats } satisfies FromHub);
    return slot.listening.promise;
  }

  #receive(index: number, msg: ToHub): void {
    const slot = this.#slots[index];
    switch (msg.t) {
      case "listening":
        return slot.listening.resolve({ port: msg.port, webPort: msg.webPort });
      case "failed":
        slot.listening.reject(msg.listen ? new ListenError(msg.message) : new Error(msg.message));
        return this.#died(index, msg.message);
      case "stopped":
        return slot.stopped.resolve();
    }
    const out = this.#hub.handle(index, msg);
    // Frames going to one worker only (always, with two) move there uncopied; a
    // frame bound for several is copied to each.
    const move = out.length === 1 && out[0].msg.t === "frames";
    for (const { to, msg: m } of out) {
      const buffers = move && m.t === "frames" ? m.frames.map((f) => f.buffer as ArrayBuffer) : [];
      this.#slots[to].worker.postMessage(m, buffers);
    }
  }

  /** A worker failed: the relay cannot go on with part of its rooms gone, so all stop. */
  #died(index: number, message: string): void {
    this.#slots[index].stopped.resolve();
    this.#slots[index].listening.reject(new Error(message));
    if (!this.#started || this.#stopping) return; // a failed start throws from start()
    this.#log("error", { code: "worker-died", worker: index, message, fatal: true });
    this.#status = 1;
    this.stop();
  }
}

/**
 * Runs a relay of `o.count` workers until SIGINT or SIGTERM has stopped them
 * all; `listening` runs once every worker listens. Resolves with the exit status.
 */
export async function runWorkers(o: PoolOptions, listening: () => void): Promise<number> {
  let pool: WorkerPool | null = null;
  let stopped = false;
  // Before starting: a signal right after the "listening" lines must still shut down in order.
  const stop = () => {
    stopped = true;
    pool?.stop();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  pool = await WorkerPool.start(o);
  if (stopped) pool.stop();
  listening();
  return await pool.done;
}
