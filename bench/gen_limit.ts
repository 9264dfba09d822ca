/**
 * How the load generator checks its own limit: a run is "generator-bound" when
 * the generator's core was busier than {@linkcode GENERATOR_BOUND_SHARE} inside
 * the measured window (its own work, the kernel's loopback work on that core,
 * and anything else the shared machine ran there). Such a run measures the
 * generator as much as the server, so no knee is claimed at or above it.
 *
 * @module
 */

/** Busy share of the generator's core above which a run is generator-bound. */
export const GENERATOR_BOUND_SHARE = 0.85;

/**
 * The cores a process may run on, from the `Cpus_allowed_list:` line of its
 * /proc/PID/status text (`"1"`, `"0-1"`, `"0,2-3"`).
 */
export function allowedCores(status: string): number[] {
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  if (!m) return [];
  const out: number[] = [];
  for (const part of m[1].split(",")) {
    const [a, b] = part.split("-").map(Number);
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/**
 * The generator's own cores: this process's affinity, when it excludes the
 * server's core; empty when the two may share a core (then no core is its own).
 */
export function generatorCores(serverCore: number | null): number[] {
  const cores = allowedCores(Deno.readTextFileSync("/proc/self/status"));
  return serverCore === null || cores.includes(serverCore) ? [] : cores;
}

/**
 * Busy share of the generator's busiest core in a window, from per-core busy
 * shares; with no core of its own (not pinned apart from the server), the
 * generator process's CPU share instead.
 */
export function generatorBusy(coreBusy: number[], cores: number[], processShare: number): number {
  const own = cores.filter((c) => c < coreBusy.length).map((c) => coreBusy[c]);
  return own.length ? Math.max(...own) : processShare;
}

/** Whether a run whose generator core was `busy` measured the generator. */
export function isGeneratorBound(busy: number, limit = GENERATOR_BOUND_SHARE): boolean {
  return busy > limit;
}
