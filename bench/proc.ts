/**
 * Process measurements for the benchmarks, read from Linux's /proc: CPU seconds
 * (user + system) and resident memory of a process, and a small wrapper that
 * starts a server pinned to one core with `taskset`, waits until it listens and
 * stops it again. Every server under test runs through it, so each gets the same
 * treatment: a fresh process per run, its own core, its output drained.
 *
 * @module
 */

/** A TCP port that was free a moment ago (the tests' helper). */
export { freePort } from "../tests/support/harness.ts";

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/** CPU seconds a process has used so far in user space and in the kernel, apart. */
export function cpuSplit(pid: number): { user: number; system: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name; utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    user: Number(fields[11]) / TICKS_PER_SECOND,
    system: Number(fields[12]) / TICKS_PER_SECOND,
  };
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Busy and total jiffies of each core (busy includes irq and softirq time). */
export function coreTimes(): { busy: number; total: number }[] {
  const out: { busy: number; total: number }[] = [];
  for (const line of Deno.readTextFileSync("/proc/stat").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = { busy: total - idle, total };
  }
  return out;
}

/** Busy share of each core between two {@linkcode coreTimes} readings. */
export function coreBusy(
  a: { busy: number; total: number }[],
  b: { busy: number; total: number }[],
): number[] {
  return b.map((x, i) => (x.busy - a[i].busy) / Math.max(1, x.total - a[i].total));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What to run: a command line, and how to know it is ready. */
export interface ServerSpec {
  /** Short name for reports. */
  name: string;
  /** Program and arguments (without taskset). */
  cmd: string[];
  /** TCP port it listens on, on 127.0.0.1. */
  port: number;
  /** CPU core (or a taskset list such as "0-1") to pin it to, or null for no pinning. */
  core: number | string | null;
}

/** A server process started for one run. */
export class ServerProcess {
  /** The spec it was started from. */
  readonly spec: ServerSpec;
  readonly #child: Deno.ChildProcess;
  #output = "";
  #exited = false;

  private constructor(spec: ServerSpec, child: Deno.ChildProcess) {
    this.spec = spec;
    this.#child = child;
    const keep = async (stream: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const chunk of stream) {
        // Keep only the start (for error reports); drain the rest.
        if (this.#output.length < 16384) this.#output += dec.decode(chunk);
      }
    };
    keep(child.stdout).catch(() => {});
    keep(child.stderr).catch(() => {});
    child.status.then(() => this.#exited = true);
  }

  /** Process id (taskset execs the server, so this is the server's own pid). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Starts the server and waits (at most `timeoutMs`) until its port accepts. */
  static async start(spec: ServerSpec, timeoutMs = 15000): Promise<ServerProcess> {
    const argv = spec.core === null ? spec.cmd : ["taskset", "-c", String(spec.core), ...spec.cmd];
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = new ServerProcess(spec, child);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (server.#exited) break;
      try {
        const probe = await Deno.connect({ hostname: "127.0.0.1", port: spec.port });
        probe.close();
        return server;
      } catch {
        await sleep(25);
      }
    }
    await server.stop();
    throw new Error(`${spec.name} did not listen on port ${spec.port}: ${server.#output}`);
  }

  /** What the server printed first (for error reports). */
  get output(): string {
    return this.#output;
  }

  /** CPU seconds the server has used so far. */
  cpu(): number {
    return cpuSeconds(this.pid);
  }

  /** Resident memory of the server now, in bytes. */
  rss(): number {
    return rssBytes(this.pid);
  }

  /** SIGTERM, then SIGKILL after two seconds; waits for the exit. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }, 2000);
    await this.#child.status;
    clearTimeout(timer);
  }
}

/**
 * `perf record -e cpu-clock -g` of one process while a measured window is open:
 * call with the pid and "start", then "end". Writes `out`.
 */
export function perfWindow(out: string) {
  let child: Deno.ChildProcess | null = null;
  return async (pid: number, edge: "start" | "end") => {
    if (edge === "start") {
      child = new Deno.Command("perf", {
        args: ["record", "-q", "-e", "cpu-clock", "-g", "-p", String(pid), "-o", out],
        stdout: "null",
        stderr: "null",
      }).spawn();
    } else if (child) {
      child.kill("SIGINT");
      await child.status;
    }
  };
}

/**
 * The socket write system calls (`sendto`, `write`, `writev`, `sendmsg`, counted by `perf stat`)
 * one process makes while a measured window is open: how many messages each
 * write carries is what the relay's CPU per delivery follows. `count()` is the
 * calls in the last window (0 when perf could not count).
 */
export function writeCallsWindow(everyCall = false) {
  let child: Deno.ChildProcess | null = null;
  let calls = 0;
  let byName = new Map<string, number>();
  return {
    async onWindow(pid: number, edge: "start" | "end") {
      if (edge === "start") {
        child = new Deno.Command("perf", {
          args: [
            "stat",
            "-x,",
            "-e",
            (everyCall ? [...WRITE_CALLS, ...OTHER_CALLS] : WRITE_CALLS).join(","),
            "-p",
            String(pid),
          ],
          stdout: "null",
          stderr: "piped",
        }).spawn();
      } else if (child) {
        child.kill("SIGINT");
        const { stderr } = await child.output();
        child = null;
        byName = new Map();
        for (const line of new TextDecoder().decode(stderr).split("\n")) {
          const fields = line.split(",");
          const n = Number(fields[0]);
          const name = fields[2]?.replace(/^(raw_)?syscalls:sys_enter_?/, "") || "all";
          if (fields[0] !== "" && Number.isFinite(n) && n > 0 && name) byName.set(name, n);
        }
        calls = WRITE_CALLS.reduce(
          (sum, e) => sum + (byName.get(e.replace("syscalls:sys_enter_", "")) ?? 0),
          0,
        );
      }
    },
    count: () => calls,
    /** Every system call of the last window by name (with `everyCall`), most first. */
    calls: () => [...byName].sort((a, b) => b[1] - a[1]),
  };
}

const WRITE_CALLS = [
  "syscalls:sys_enter_sendto",
  "syscalls:sys_enter_write",
  "syscalls:sys_enter_writev",
  "syscalls:sys_enter_sendmsg",
];
// The calls an event loop and its runtime make besides writing; `all` is every call.
const OTHER_CALLS = [
  "raw_syscalls:sys_enter",
  ...[
    "recvfrom",
    "read",
    "recvmsg",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_ctl",
    "futex",
    "sched_yield",
    "io_uring_enter",
    "clock_gettime",
    "mmap",
    "munmap",
    "madvise",
    "mprotect",
    "getrandom",
  ].map((call) => `syscalls:sys_enter_${call}`),
];
