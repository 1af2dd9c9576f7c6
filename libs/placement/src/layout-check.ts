import type { FleetView } from './fleet-view.js';

/** One way a stripe's layout breaks the spread rules. */
export type LayoutViolation =
  | { rule: 'DISTINCT_DISKS'; diskIndex: number }
  | { rule: 'MAX_M_PER_ZONE'; zone: string; shards: number }
  | { rule: 'ONE_SHARD_PER_HOST'; host: string; shards: number };

/**
 * The spread-rule violations of a stripe whose shards sit on `disks` (view
 * indexes; negative entries are shards without a copy and are skipped).
 * An empty list means the layout keeps every rule; ONE_SHARD_PER_HOST
 * entries alone mean an under-spread stripe (relaxed on purpose, to be
 * re-spread); anything else must never be produced by placement.
 */
export function layoutViolations(view: FleetView, parityShards: number, disks: ArrayLike<number>): LayoutViolation[] {
  const out: LayoutViolation[] = [];
  const seen = new Set<number>();
  const perZone = new Map<number, number>();
  const perHost = new Map<number, number>();
  for (let j = 0; j < disks.length; j++) {
    const d = disks[j] as number;
    if (d < 0) continue;
    if (seen.has(d)) out.push({ rule: 'DISTINCT_DISKS', diskIndex: d });
    seen.add(d);
    const z = view.zoneOf[d] as number;
    perZone.set(z, (perZone.get(z) ?? 0) + 1);
    const h = view.hostOf[d] as number;
    perHost.set(h, (perHost.get(h) ?? 0) + 1);
  }
  for (const [z, shards] of perZone)
    if (shards > parityShards) out.push({ rule: 'MAX_M_PER_ZONE', zone: view.zones.names[z] as string, shards });
  for (const [h, shards] of perHost)
    if (shards > 1) out.push({ rule: 'ONE_SHARD_PER_HOST', host: view.hosts.labels[h] as string, shards });
  return out;
}

/** The most shards of the stripe on any one host (1 for a fully spread stripe). */
export function maxShardsPerHost(view: FleetView, disks: ArrayLike<number>): number {
  const perHost = new Map<number, number>();
  let max = 0;
  for (let j = 0; j < disks.length; j++) {
    const d = disks[j] as number;
    if (d < 0) continue;
    const h = view.hostOf[d] as number;
    const c = (perHost.get(h) ?? 0) + 1;
    perHost.set(h, c);
    if (c > max) max = c;
  }
  return max;
}
