import { describe, expect, it } from 'vitest';
import { FleetView } from './fleet-view.js';
import { layoutViolations, maxShardsPerHost } from './layout-check.js';
import { syntheticFleet } from './synthetic-fleet.js';

describe('layoutViolations', () => {
  const view = FleetView.build(
    syntheticFleet({ zones: 3, racksPerZone: 1, hostsPerRack: 3, disksPerHost: 3, capacityBytes: 1 }),
  );
  // Disk index = zone × 9 + host × 3 + disk.
  it('accepts a fully spread layout and skips missing shards', () => {
    expect(layoutViolations(view, 4, [0, 3, 6, 9, 12, 15, 18, 21, -1])).toEqual([]);
    expect(maxShardsPerHost(view, [0, 3, 6, 9, 12, 15, 18, 21, 24])).toBe(1);
  });

  it('names each broken rule', () => {
    const v = layoutViolations(view, 2, [0, 0, 1, 3, 9]);
    expect(v).toContainEqual({ rule: 'DISTINCT_DISKS', diskIndex: 0 });
    expect(v).toContainEqual({ rule: 'MAX_M_PER_ZONE', zone: 'z0', shards: 4 });
    expect(v).toContainEqual({ rule: 'ONE_SHARD_PER_HOST', host: 'z0-r0-h0', shards: 3 });
    expect(maxShardsPerHost(view, [0, 1, 2, 3])).toBe(3);
  });
});
