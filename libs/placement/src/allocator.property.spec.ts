import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Allocator, type Allocation } from './allocator.js';
import { DISK_STATES, type DiskSnapshot } from './disk-snapshot.js';
import { FleetView } from './fleet-view.js';
import { DiskFullError, InsufficientDisksError } from './placement-errors.js';
import { createRng } from './rng.js';
import { layoutExists, type SearchSpace } from './testing/brute-force.js';

const CAPACITY = 1000;
const FILL_HIGH_WATER = 0.9;

/** A small random fleet: 1–4 zones, 1–3 hosts per zone, 1–3 disks per host, any states, some full. */
const tinyFleet = fc
  .array(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 })
  .chain((zones) => {
    const count = zones.flat().reduce((a, b) => a + b, 0);
    const disk = fc.record({
      state: fc.constantFrom(...DISK_STATES, 'active', 'active', 'active', 'active'),
      leaseAlive: fc.constantFrom(true, true, true, false),
      weight: fc.constantFrom(1, 1, 1, 2, 0),
      usedBytes: fc.constantFrom(0, 100, 500, 880, 950, 995, 1000),
    });
    return fc.tuple(fc.constant(zones), fc.array(disk, { minLength: count, maxLength: count }));
  })
  .map(([zones, props]) => {
    const disks: DiskSnapshot[] = [];
    let p = 0;
    zones.forEach((hosts, z) =>
      hosts.forEach((n, h) => {
        for (let d = 0; d < n; d++) {
          const q = props[p++] as (typeof props)[number];
          disks.push({
            diskId: `z${z}-h${h}-d${d}`,
            zone: `z${z}`,
            rack: `z${z}-r0`,
            host: `z${z}-h${h}`,
            capacityBytes: CAPACITY,
            ...q,
          });
        }
      }),
    );
    return disks;
  });

const request = fc.record({
  k: fc.integer({ min: 1, max: 4 }),
  m: fc.integer({ min: 1, max: 3 }),
  sizeHint: fc.constantFrom(0, 1, 10, 60),
  seed: fc.integer(),
  occupiedPick: fc.array(fc.nat(), { maxLength: 3 }),
  excludePick: fc.array(fc.nat(), { maxLength: 2 }),
  excludeHostPick: fc.array(fc.nat(), { maxLength: 1 }),
  partial: fc.boolean(),
});

describe('Allocator against a brute-force layout search (tiny fleets)', () => {
  it('succeeds exactly when a valid layout exists, relaxes only what it must, and never breaks a hard rule', () => {
    // Every outcome must actually occur, or the property proves less than it claims.
    const seen = { strict: 0, hostRelaxed: 0, fillRelaxed: 0, diskFull: 0, insufficient: 0 };
    fc.assert(
      fc.property(tinyFleet, request, (disks, r) => {
        const view = FleetView.build(disks);
        const width = r.k + r.m;
        const occupied = [...new Set(r.occupiedPick.map((i) => i % disks.length))].slice(0, width - 1);
        const slotCount = r.partial ? width - occupied.length : width;
        const shardIndexes = r.partial ? Array.from({ length: slotCount }, (_, i) => i) : undefined;
        const occ = r.partial ? occupied : [];
        const excludeDisks = r.excludePick.map((i) => i % disks.length);
        const excludeHosts = r.excludeHostPick.map((i) => view.hosts.labels[i % view.hosts.labels.length] as string);

        const allowed = (d: number): boolean =>
          view.writable[d] === 1 &&
          !occ.includes(d) &&
          !excludeDisks.includes(d) &&
          !excludeHosts.includes(view.hostLabel(d));
        const space: SearchSpace = {
          allowed,
          fits: (d) =>
            r.sizeHint > 0
              ? (view.usedBytes[d] as number) + r.sizeHint <= CAPACITY
              : (view.usedBytes[d] as number) < CAPACITY,
          underFillLimit: (d) => (view.usedBytes[d] as number) + r.sizeHint <= FILL_HIGH_WATER * CAPACITY,
        };
        const base = { n: slotCount, m: r.m, occupied: occ };
        const anyExists = layoutExists(view, space, {
          ...base,
          hostCap: Infinity,
          requireFit: true,
          requireUnderFillLimit: false,
        });
        const writableExists = layoutExists(view, space, {
          ...base,
          hostCap: Infinity,
          requireFit: false,
          requireUnderFillLimit: false,
        });
        const hostOneExists = layoutExists(view, space, {
          ...base,
          hostCap: 1,
          requireFit: true,
          requireUnderFillLimit: false,
        });
        const strictExists = layoutExists(view, space, {
          ...base,
          hostCap: 1,
          requireFit: true,
          requireUnderFillLimit: true,
        });

        const allocator = new Allocator({ rng: createRng(r.seed), fillHighWater: FILL_HIGH_WATER });
        let result: Allocation | undefined;
        let error: unknown;
        try {
          result = allocator.allocate(view, {
            dataShards: r.k,
            parityShards: r.m,
            sizeHintBytes: r.sizeHint,
            shardIndexes,
            occupiedDiskIds: occ.map((d) => view.diskIds[d] as string),
            excludeDiskIds: excludeDisks.map((d) => view.diskIds[d] as string),
            excludeHosts,
          });
        } catch (err) {
          error = err;
        }

        // Failure ⇔ no valid layout, and the error says why.
        expect(result !== undefined).toBe(anyExists);
        if (result === undefined) {
          if (writableExists) expect(error).toBeInstanceOf(DiskFullError);
          else expect(error).toBeInstanceOf(InsufficientDisksError);
          if (writableExists) seen.diskFull++;
          else seen.insufficient++;
          return;
        }

        const chosen = result.shards.map((s) => s.diskIndex);
        expect(result.shards.map((s) => s.shardIndex)).toEqual(
          shardIndexes ?? Array.from({ length: width }, (_, i) => i),
        );
        // Never two shards on one disk, never a disk that is not allowed, always room.
        expect(new Set([...chosen, ...occ]).size).toBe(chosen.length + occ.length);
        for (const d of chosen) {
          expect(allowed(d)).toBe(true);
          expect(view.state(d)).toBe('active');
          expect(space.fits(d)).toBe(true);
        }
        // Never more than m in a zone that receives a shard (held shards included; held shards
        // alone may already break the rule, which a new choice cannot undo).
        const perZone = new Map<number, number>();
        for (const d of [...chosen, ...occ])
          perZone.set(view.zoneOf[d] as number, (perZone.get(view.zoneOf[d] as number) ?? 0) + 1);
        for (const d of chosen) expect(perZone.get(view.zoneOf[d] as number)).toBeLessThanOrEqual(r.m);
        // A full stripe survives the loss of any zone with at least k shards.
        if (!r.partial) for (const c of perZone.values()) expect(width - c).toBeGreaterThanOrEqual(r.k);

        // Host rule relaxed ⇔ no layout with one shard per host exists.
        const relaxedHost = result.relaxedRules.includes('ONE_SHARD_PER_HOST');
        expect(relaxedHost).toBe(!hostOneExists);
        if (!relaxedHost) {
          const perHost = new Map<number, number>();
          for (const d of [...chosen, ...occ]) {
            const h = view.hostOf[d] as number;
            perHost.set(h, (perHost.get(h) ?? 0) + 1);
          }
          for (const d of chosen) expect(perHost.get(view.hostOf[d] as number)).toBe(1);
        }
        // Fill limit relaxed only when no strict layout exists; otherwise every choice is under it.
        const relaxedFill = result.relaxedRules.includes('FILL_LIMIT');
        if (relaxedFill) expect(strictExists).toBe(false);
        else for (const d of chosen) expect(space.underFillLimit(d)).toBe(true);
        if (strictExists) expect(result.relaxedRules).toEqual([]);
        expect(result.underSpread).toBe(result.relaxedRules.length > 0);
        if (relaxedHost) seen.hostRelaxed++;
        if (relaxedFill) seen.fillRelaxed++;
        if (!result.underSpread) seen.strict++;
      }),
      { numRuns: 1500 },
    );
    for (const [outcome, count] of Object.entries(seen)) expect(count, outcome).toBeGreaterThan(10);
  });
});
