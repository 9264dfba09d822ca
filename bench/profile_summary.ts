/**
 * Summarises a V8 `.cpuprofile` (from `deno run --cpu-prof`): self time per
 * function, heaviest first, so a benchmark miss can name where the time goes.
 *
 *   deno run --allow-read bench/profile_summary.ts FILE.cpuprofile [TOP]
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self-time share per function ("name file:line"), heaviest first. */
export function selfTimes(profile: { nodes: ProfileNode[] }): [string, number][] {
  const byName = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const f = n.callFrame;
    const file = f.url.split("/").slice(-2).join("/");
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    byName.set(key, (byName.get(key) ?? 0) + hits);
  }
  return [...byName].map(([k, v]) => [k, v / Math.max(1, total)] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}

if (import.meta.main) {
  const profile = JSON.parse(Deno.readTextFileSync(Deno.args[0]));
  const top = Number(Deno.args[1] ?? 25);
  for (const [name, share] of selfTimes(profile).slice(0, top)) {
    console.log(`${(share * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}
