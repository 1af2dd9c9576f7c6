import { describe, expect, it } from 'vitest';
import { FleetView } from '../fleet-view.js';
import { syntheticFleet } from '../synthetic-fleet.js';
import { fleetStats, overMean, spread } from './fleet-stats.js';

describe('fleet stats', () => {
  it('summarises a set: mean, extremes, stddev and quantiles', () => {
    const s = spread([4, 1, 3, 2]);
    expect(s).toMatchObject({ count: 4, mean: 2.5, min: 1, max: 4, p50: 3, p99: 4 });
    expect(s.stddev).toBeCloseTo(Math.sqrt(1.25), 10);
    expect(spread([])).toMatchObject({ count: 0, mean: 0, max: 0 });
  });

  it('counts ACTIVE disks only, and heat only where it is known', () => {
    const disks = syntheticFleet({ zones: 1, racksPerZone: 1, hostsPerRack: 2, disksPerHost: 2, capacityBytes: 100 });
    disks[0]!.usedBytes = 50;
    disks[3]!.state = 'draining';
    disks[3]!.usedBytes = 100;
    const view = FleetView.build(disks, new Map([['z0-r0-h0-d0', 2]]));
    const stats = fleetStats(view);
    expect(stats.fill.count).toBe(3);
    expect(stats.fill.max).toBe(0.5);
    expect(stats.heat).toMatchObject({ count: 1, mean: 2 });
    expect(overMean(stats.fill.max, stats.fill.mean)).toBeCloseTo(3, 10);
    expect(overMean(1, 0)).toBe(0);
  });
});
