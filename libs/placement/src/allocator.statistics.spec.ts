import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import type { DiskSnapshot } from './disk-snapshot.js';
import { FleetView } from './fleet-view.js';
import { createRng } from './rng.js';
import { syntheticFleet } from './synthetic-fleet.js';

const STRIPES = 10_000;
const SHARD_BYTES = 1 << 20;
/** 27 equal disks, big enough that 10,000 stripes never come near the fill limit. */
const fleet27 = (): DiskSnapshot[] =>
  syntheticFleet({ zones: 3, racksPerZone: 1, hostsPerRack: 3, disksPerHost: 3, capacityBytes: 1e12 });

/** Places STRIPES 5+4 stripes, feeding each shard's bytes back as usage (as usage samples would). */
function spread(view: FleetView, seed: number): Int32Array {
  const allocator = new Allocator({ rng: createRng(seed), reservationTtlMs: 0 });
  const counts = new Int32Array(view.size);
  for (let s = 0; s < STRIPES; s++) {
    for (const shard of allocator.allocate(view, { dataShards: 5, parityShards: 4, sizeHintBytes: SHARD_BYTES })
      .shards) {
      counts[shard.diskIndex] = (counts[shard.diskIndex] as number) + 1;
      view.addUsedBytes(shard.diskIndex, SHARD_BYTES);
    }
    if (s % 100 === 99) view.refreshAggregates();
  }
  return counts;
}

describe('Allocator spread (statistical)', () => {
  it('spreads 10,000 stripes over 27 equal disks within ±15% of the mean per disk', () => {
    const view = FleetView.build(fleet27());
    for (let i = 0; i < view.size; i++) view.setHeat(i, 0.3);
    view.refreshAggregates();
    const counts = spread(view, 11);
    const mean = (STRIPES * 9) / 27;
    for (const c of counts) {
      expect(c).toBeGreaterThanOrEqual(mean * 0.85);
      expect(c).toBeLessThanOrEqual(mean * 1.15);
    }
  });

  it('gives a draining disk nothing', () => {
    const disks = fleet27().map((d, i) => (i === 4 ? { ...d, state: 'draining' as const } : d));
    const view = FleetView.build(disks);
    const counts = spread(view, 12);
    expect(counts[4]).toBe(0);
    // Its two host-mates take over its share; nobody else is disturbed.
    expect((counts[3] as number) + (counts[5] as number)).toBe(STRIPES);
  });

  it('gives a disk with raised heat measurably fewer shards', () => {
    const view = FleetView.build(fleet27());
    for (let i = 0; i < view.size; i++) view.setHeat(i, i === 13 ? 0.6 : 0.3);
    view.refreshAggregates();
    const counts = spread(view, 13);
    const hostMates = ((counts[12] as number) + (counts[14] as number)) / 2;
    // Twice as hot: it wins a comparison only against itself, so far fewer than its host-mates.
    expect(counts[13]).toBeLessThan(hostMates * 0.6);
  });

  it('treats a disk with unknown heat as warm, not cold', () => {
    const view = FleetView.build(fleet27());
    for (let i = 0; i < view.size; i++) view.setHeat(i, i === 13 ? undefined : 0.3);
    view.refreshAggregates();
    const counts = spread(view, 14);
    const hostMates = ((counts[12] as number) + (counts[14] as number)) / 2;
    expect(counts[13]).toBeLessThan(hostMates * 0.8);
  });

  it('with choices = 1 places at random: heat makes no difference', () => {
    const view = FleetView.build(fleet27());
    for (let i = 0; i < view.size; i++) view.setHeat(i, i === 13 ? 0.6 : 0.3);
    view.refreshAggregates();
    const allocator = new Allocator({ rng: createRng(15), choices: 1 });
    const counts = new Int32Array(view.size);
    for (let s = 0; s < STRIPES; s++)
      for (const shard of allocator.allocate(view, { dataShards: 5, parityShards: 4 }).shards)
        counts[shard.diskIndex] = (counts[shard.diskIndex] as number) + 1;
    // Each disk of a host gets a third of the host's 10,000: binomial sd ≈ 47.
    expect(Math.abs((counts[13] as number) - STRIPES / 3)).toBeLessThan(250);
  });
});
