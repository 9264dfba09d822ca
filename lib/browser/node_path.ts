/**
 * The two `node:path` functions the shared client modules import, for the
 * browser bundle (lib/browser/import_map.json maps `node:path` here). The page
 * keeps no files, so they only join and split names.
 *
 * @module
 */

/** Joins path segments with "/". */
export function join(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}

/** Everything before the last "/". */
export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}
