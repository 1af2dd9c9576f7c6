import type { FleetView } from '../fleet-view.js';

/** What a layout search may use: one entry per view disk. */
export interface SearchSpace {
  /** Whether the disk may hold a new shard at all (writable, not excluded, not occupied, host not excluded). */
  allowed: (d: number) => boolean;
  /** Whether the new shard fits (room for the size hint). */
  fits: (d: number) => boolean;
  /** Whether the disk stays at or under the fill high-water mark with the shard. */
  underFillLimit: (d: number) => boolean;
}

export interface SearchRules {
  /** Shards to place. */
  n: number;
  /** At most this many shards (occupied included) per zone. */
  m: number;
  /** Shards already placed (occupied), by view index. */
  occupied: readonly number[];
  /** At most this many shards (occupied included) per host; Infinity for no host rule. */
  hostCap: number;
  requireFit: boolean;
  requireUnderFillLimit: boolean;
}

/**
 * Whether any set of n distinct disks satisfies the rules, by exhaustive
 * search over subsets of the allowed disks (pruned only when a cap is
 * already broken). Independent of the allocator's own reasoning; meant for
 * fleets of at most a few dozen disks.
 */
export function layoutExists(view: FleetView, space: SearchSpace, rules: SearchRules): boolean {
  const candidates: number[] = [];
  for (let d = 0; d < view.size; d++) {
    if (!space.allowed(d)) continue;
    if (rules.requireFit && !space.fits(d)) continue;
    if (rules.requireUnderFillLimit && !space.underFillLimit(d)) continue;
    candidates.push(d);
  }
  const zoneCount = new Map<number, number>();
  const hostCount = new Map<number, number>();
  for (const d of rules.occupied) {
    const z = view.zoneOf[d] as number;
    const h = view.hostOf[d] as number;
    zoneCount.set(z, (zoneCount.get(z) ?? 0) + 1);
    hostCount.set(h, (hostCount.get(h) ?? 0) + 1);
  }
  const search = (from: number, left: number): boolean => {
    if (left === 0) return true;
    if (candidates.length - from < left) return false;
    for (let j = from; j < candidates.length; j++) {
      const d = candidates[j] as number;
      const z = view.zoneOf[d] as number;
      const h = view.hostOf[d] as number;
      const zc = zoneCount.get(z) ?? 0;
      const hc = hostCount.get(h) ?? 0;
      if (zc + 1 > rules.m || hc + 1 > rules.hostCap) continue;
      zoneCount.set(z, zc + 1);
      hostCount.set(h, hc + 1);
      const found = search(j + 1, left - 1);
      zoneCount.set(z, zc);
      hostCount.set(h, hc);
      if (found) return true;
    }
    return false;
  };
  return search(0, rules.n);
}
