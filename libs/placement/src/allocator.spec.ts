import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import type { DiskSnapshot } from './disk-snapshot.js';
import { FleetView } from './fleet-view.js';
import { layoutViolations } from './layout-check.js';
import { DiskFullError, InsufficientDisksError, InvalidAllocationError } from './placement-errors.js';
import { createRng } from './rng.js';
import { syntheticFleet } from './synthetic-fleet.js';

const TB = 1e12;
/** The local cluster: 3 zones × 3 hosts × 3 disks. */
const nineHosts = (): DiskSnapshot[] =>
  syntheticFleet({ zones: 3, racksPerZone: 1, hostsPerRack: 3, disksPerHost: 3, capacityBytes: TB });

function hostsOf(view: FleetView, disks: number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of disks) out.set(view.hostLabel(d), (out.get(view.hostLabel(d)) ?? 0) + 1);
  return out;
}

describe('Allocator', () => {
  it('places 5+4 on nine hosts, one shard per host, three per zone', () => {
    const view = FleetView.build(nineHosts());
    const allocation = new Allocator({ rng: createRng(7) }).allocate(view, { dataShards: 5, parityShards: 4 });
    const disks = allocation.shards.map((s) => s.diskIndex);
    expect(allocation.shards.map((s) => s.shardIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(allocation.underSpread).toBe(false);
    expect(allocation.relaxedRules).toEqual([]);
    expect(hostsOf(view, disks).size).toBe(9);
    expect(layoutViolations(view, 4, disks)).toEqual([]);
    expect(allocation.shards[0]?.diskStateEpoch).toBe(1);
  });

  it('with one host of nine down, still places 5+4: two shards share a host, marked under-spread', () => {
    const disks = nineHosts().map((d) => (d.host === 'z1-r0-h2' ? { ...d, leaseAlive: false } : d));
    const view = FleetView.build(disks);
    const allocator = new Allocator({ rng: createRng(3) });
    for (let i = 0; i < 200; i++) {
      const allocation = allocator.allocate(view, { dataShards: 5, parityShards: 4 });
      const chosen = allocation.shards.map((s) => s.diskIndex);
      expect(allocation.underSpread).toBe(true);
      expect(allocation.relaxedRules).toEqual(['ONE_SHARD_PER_HOST']);
      const perHost = [...hostsOf(view, chosen).values()].sort();
      expect(perHost).toEqual([1, 1, 1, 1, 1, 1, 1, 2]);
      expect(chosen.every((d) => view.hostLabel(d) !== 'z1-r0-h2')).toBe(true);
      // Only the host rule is broken, never the zone rule or distinct disks.
      expect(layoutViolations(view, 4, chosen).map((v) => v.rule)).toEqual(['ONE_SHARD_PER_HOST']);
    }
  });

  it('fails with INSUFFICIENT_DISKS naming MAX_M_PER_ZONE when a zone is gone and 5+4 cannot keep 4 per zone', () => {
    const disks = nineHosts().map((d) => (d.zone === 'z2' ? { ...d, state: 'draining' as const } : d));
    const view = FleetView.build(disks);
    const call = () => new Allocator({ rng: createRng(1) }).allocate(view, { dataShards: 5, parityShards: 4 });
    expect(call).toThrow(InsufficientDisksError);
    try {
      call();
    } catch (err) {
      const e = err as InsufficientDisksError;
      expect(e.grpcStatus).toBe('FAILED_PRECONDITION');
      expect(e.reason).toBe('INSUFFICIENT_DISKS');
      expect(e.limitedBy).toBe('MAX_M_PER_ZONE');
      expect(e.possible).toBe(8);
      expect(e.message).toContain('MAX_M_PER_ZONE');
      expect(e.zones.find((z) => z.zone === 'z2')?.eligibleDisks).toBe(0);
    }
  });

  it('fails naming ACTIVE_DISKS when there are too few writable disks at all', () => {
    const disks = nineHosts().slice(0, 5);
    const view = FleetView.build(disks);
    try {
      new Allocator({ rng: createRng(1) }).allocate(view, { dataShards: 5, parityShards: 4 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InsufficientDisksError);
      expect((err as InsufficientDisksError).limitedBy).toBe('ACTIVE_DISKS');
    }
  });

  it('fails with DISK_FULL when enough disks exist but too few have room for the size hint', () => {
    const disks = nineHosts().map((d, i) => ({ ...d, capacityBytes: 1000, usedBytes: i < 20 ? 990 : 0 }));
    const view = FleetView.build(disks);
    const allocator = new Allocator({ rng: createRng(1) });
    expect(() => allocator.allocate(view, { dataShards: 5, parityShards: 4, sizeHintBytes: 50 })).toThrow(
      DiskFullError,
    );
    // Small enough to fit everywhere: placed, above the high-water mark where it must be.
    const ok = allocator.allocate(view, { dataShards: 5, parityShards: 4, sizeHintBytes: 5 });
    expect(ok.relaxedRules).toContain('FILL_LIMIT');
  });

  it('rejects malformed requests as INVALID_ARGUMENT', () => {
    const view = FleetView.build(nineHosts());
    const a = new Allocator({ rng: createRng(1) });
    const bad = [
      { dataShards: 0, parityShards: 4 },
      { dataShards: 5, parityShards: 0 },
      { dataShards: 5, parityShards: 4, shardIndexes: [9] },
      { dataShards: 5, parityShards: 4, shardIndexes: [1, 1] },
      { dataShards: 5, parityShards: 4, sizeHintBytes: -1 },
      {
        dataShards: 2,
        parityShards: 1,
        shardIndexes: [0, 1],
        occupiedDiskIds: ['z0-r0-h0-d0', 'z1-r0-h0-d0'],
      },
    ];
    for (const request of bad) {
      expect(() => a.allocate(view, request)).toThrow(InvalidAllocationError);
      try {
        a.allocate(view, request);
      } catch (err) {
        expect((err as InvalidAllocationError).grpcStatus).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it('repairs lost shards: only the requested indexes, away from the hosts and zones already used', () => {
    const view = FleetView.build(nineHosts());
    const a = new Allocator({ rng: createRng(5) });
    const full = a.allocate(view, { dataShards: 5, parityShards: 4 });
    const lost = [2, 6];
    const occupiedDiskIds = full.shards.filter((s) => !lost.includes(s.shardIndex)).map((s) => s.diskId);
    const repair = a.allocate(view, {
      dataShards: 5,
      parityShards: 4,
      shardIndexes: lost,
      occupiedDiskIds,
      excludeDiskIds: full.shards.filter((s) => lost.includes(s.shardIndex)).map((s) => s.diskId),
      ioClass: 'repair',
    });
    expect(repair.shards.map((s) => s.shardIndex)).toEqual(lost);
    const after = [
      ...occupiedDiskIds.map((id) => view.indexOf(id) as number),
      ...repair.shards.map((s) => s.diskIndex),
    ];
    expect(layoutViolations(view, 4, after)).toEqual([]);
    expect(repair.underSpread).toBe(false);
  });

  it('honours excluded disks and hosts', () => {
    const view = FleetView.build(nineHosts());
    const a = new Allocator({ rng: createRng(9) });
    for (let i = 0; i < 100; i++) {
      const allocation = a.allocate(view, {
        dataShards: 3,
        parityShards: 2,
        excludeHosts: ['z0-r0-h0', 'z1-r0-h1'],
        excludeDiskIds: ['z2-r0-h2-d0', 'z2-r0-h2-d1'],
      });
      for (const s of allocation.shards) {
        expect(['z0-r0-h0', 'z1-r0-h1']).not.toContain(view.hostLabel(s.diskIndex));
        expect(['z2-r0-h2-d0', 'z2-r0-h2-d1']).not.toContain(s.diskId);
      }
    }
  });

  it('is deterministic for a seed', () => {
    const view = FleetView.build(
      syntheticFleet({ zones: 3, racksPerZone: 4, hostsPerRack: 4, disksPerHost: 4, capacityBytes: TB }),
    );
    const run = (seed: number) => {
      const a = new Allocator({ rng: createRng(seed) });
      return Array.from({ length: 50 }, () =>
        a.allocate(view, { dataShards: 5, parityShards: 4 }).shards.map((s) => s.diskId),
      );
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('reserves the size hint on chosen disks until the reservation expires', () => {
    const view = FleetView.build(nineHosts());
    const a = new Allocator({ rng: createRng(2), reservationTtlMs: 1000 });
    const allocation = a.allocate(view, { dataShards: 5, parityShards: 4, sizeHintBytes: 4096 }, 10_000);
    const reservedTotal = () => view.reservedBytes.reduce((s, v) => s + v, 0);
    expect(reservedTotal()).toBe(9 * 4096);
    expect(view.reservedBytes[allocation.shards[0]?.diskIndex as number]).toBe(4096);
    a.allocate(view, { dataShards: 5, parityShards: 4 }, 10_999);
    expect(reservedTotal()).toBe(9 * 4096);
    a.allocate(view, { dataShards: 5, parityShards: 4 }, 11_000);
    expect(reservedTotal()).toBe(0);
  });

  it('never chooses a disk that is not ACTIVE with a live lease and a positive weight', () => {
    const states = ['joining', 'draining', 'failed', 'retired'] as const;
    const disks = syntheticFleet({
      zones: 3,
      racksPerZone: 2,
      hostsPerRack: 3,
      disksPerHost: 4,
      capacityBytes: TB,
    }).map((d, i) => {
      if (i % 4 === 1) return { ...d, state: states[i % states.length] as (typeof states)[number] };
      if (i % 4 === 2) return { ...d, leaseAlive: i % 8 === 2 };
      if (i % 4 === 3) return { ...d, weight: i % 8 === 3 ? 0 : 3 };
      return d;
    });
    const view = FleetView.build(disks);
    const a = new Allocator({ rng: createRng(4) });
    for (let i = 0; i < 500; i++)
      for (const s of a.allocate(view, { dataShards: 5, parityShards: 4 }).shards)
        expect(view.writable[s.diskIndex]).toBe(1);
  });
});
