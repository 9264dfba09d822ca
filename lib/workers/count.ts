/**
 * The `--workers` value: a number of workers, or `auto` for one per CPU the
 * runtime reports (navigator.hardwareConcurrency), within the number of
 * member id ranges a relay can hand out (one per worker).
 *
 * @module
 */

import { MAX_RELAYS } from "../cluster/id_range.ts";
import { UsageError } from "../cli.ts";

/** Workers at most: one member id range each. */
export const MAX_WORKERS = MAX_RELAYS;

/** Workers for a `--workers` value; throws UsageError for anything else. */
export function workerCount(value: unknown, cpus = navigator.hardwareConcurrency): number {
  if (value === "auto") return Math.max(1, Math.min(cpus || 1, MAX_WORKERS));
  const s = String(value);
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > MAX_WORKERS) {
    throw new UsageError(
      `--workers must be auto or a whole number from 1 to ${MAX_WORKERS}, not "${s}"`,
    );
  }
  return Number(s);
}
