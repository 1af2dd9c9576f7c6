import { createRng } from '@platter/placement';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKLOAD, Workload } from './workload.js';

const MiB = 2 ** 20;
const options = { ...DEFAULT_WORKLOAD, dataShards: 5, blockBytes: MiB };

describe('Workload', () => {
  it('draws heavy-tailed object sizes: most small, a few huge, most bytes in the tail', () => {
    const w = new Workload(options, createRng(1));
    const sizes = Array.from({ length: 50_000 }, () => w.objectSize()).sort((a, b) => a - b);
    const median = sizes[25_000] as number;
    const p999 = sizes[49_950] as number;
    const total = sizes.reduce((a, b) => a + b, 0);
    const top1pct = sizes.slice(49_500).reduce((a, b) => a + b, 0);
    expect(median).toBeLessThan(1 * MiB);
    expect(p999).toBeGreaterThan(100 * median);
    expect(top1pct / total).toBeGreaterThan(0.3);
    expect(sizes.every((s) => s >= 1 && s <= options.maxObjectBytes)).toBe(true);
  });

  it('cuts objects into parts of at most partBytes with consistent stripes and shard lengths', () => {
    const w = new Workload(options, createRng(2));
    for (let i = 0; i < 5_000; i++) {
      const part = w.nextPart();
      expect(part.shardBytes % 4096).toBe(0);
      expect(part.shardBytes * options.dataShards).toBeGreaterThan(0);
      expect(part.shardBytes).toBeLessThanOrEqual(options.partBytes / options.dataShards + 4096);
      expect(part.stripes).toBeGreaterThanOrEqual(1);
      expect(part.stripes).toBeLessThanOrEqual(Math.ceil(options.partBytes / (options.dataShards * MiB)));
      expect(part.readRate).toBeGreaterThan(0);
    }
  });

  it('replays exactly for a seed, and bursts make one tenant write a large share, hotter', () => {
    const run = (seed: number) => {
      const w = new Workload(
        { ...options, burstStartPerStep: 1, burstMinSteps: 50, burstMaxSteps: 50 },
        createRng(seed),
      );
      w.beginStep();
      expect(w.bursting).toBe(true);
      return Array.from({ length: 5_000 }, () => w.nextPart());
    };
    const a = run(3);
    expect(run(3)).toEqual(a);
    const burst = a.filter((p) => p.burst);
    expect(new Set(burst.map((p) => p.tenant)).size).toBe(1);
    // About burstShare of objects (parts of big objects add a few more).
    expect(burst.length / a.length).toBeGreaterThan(0.12);
    const meanRate = (ps: typeof a) => ps.reduce((s, p) => s + p.readRate, 0) / ps.length;
    const tenant = burst[0]?.tenant;
    const sameTenantQuiet = a.filter((p) => !p.burst && p.tenant === tenant);
    if (sameTenantQuiet.length > 0)
      expect(meanRate(burst)).toBeCloseTo(meanRate(sameTenantQuiet) * options.burstHeatFactor);
  });
});
