import { describe, expect, it } from 'vitest';
import { FleetView } from './fleet-view.js';
import { syntheticFleet } from './synthetic-fleet.js';

const shape = { zones: 2, racksPerZone: 2, hostsPerRack: 2, disksPerHost: 3, capacityBytes: 1000 };

describe('FleetView', () => {
  it('indexes disks by zone and host, keeping the input order as disk index', () => {
    const disks = syntheticFleet(shape);
    const view = FleetView.build(disks);
    expect(view.size).toBe(24);
    expect(view.zones.names).toEqual(['z0', 'z1']);
    expect(view.hosts.names).toHaveLength(8);
    expect(view.indexOf('z1-r1-h0-d2')).toBe(disks.findIndex((d) => d.diskId === 'z1-r1-h0-d2'));
    for (let z = 0; z < 2; z++) for (const d of view.zones.disks[z] as Int32Array) expect(view.zoneOf[d]).toBe(z);
    for (let h = 0; h < 8; h++) {
      const members = view.hosts.disks[h] as Int32Array;
      expect(members).toHaveLength(3);
      for (const d of members) expect(view.hostLabel(d)).toBe(view.hosts.labels[h]);
    }
    expect(view.rackName(0)).toBe('z0-r0');
    expect([...view.zoneWritable]).toEqual([12, 12]);
  });

  it('keeps hosts of different zones apart even when their labels collide', () => {
    const disks = syntheticFleet({ ...shape, racksPerZone: 1, hostsPerRack: 1 }).map((d) => ({ ...d, host: 'same' }));
    const view = FleetView.build(disks);
    expect(view.hosts.names).toHaveLength(2);
    expect(view.hostsLabelled('same')).toHaveLength(2);
  });

  it('refuses duplicate ids, unknown states and negative sizes', () => {
    const disks = syntheticFleet(shape);
    expect(() => FleetView.build([...disks, disks[0]!])).toThrow(/twice/);
    expect(() => FleetView.build([{ ...disks[0]!, state: 'lost' as never }])).toThrow(/state/);
    expect(() => FleetView.build([{ ...disks[0]!, usedBytes: -1 }])).toThrow(/negative/);
    expect(() => FleetView.build([{ ...disks[0]!, weight: Number.NaN }])).toThrow(/weight/);
  });

  it('marks only ACTIVE disks with a live lease, weight and capacity as writable', () => {
    const base = syntheticFleet(shape)[0]!;
    const view = FleetView.build([
      base,
      { ...base, diskId: 'b', state: 'joining' },
      { ...base, diskId: 'c', state: 'draining' },
      { ...base, diskId: 'd', leaseAlive: false },
      { ...base, diskId: 'e', weight: 0 },
      { ...base, diskId: 'f', capacityBytes: 0 },
    ]);
    expect([...view.writable]).toEqual([1, 0, 0, 0, 0, 0]);
    expect(view.draw.size).toBe(1);
  });

  it('computes mean fill and heat over ACTIVE disks, and scores unknown heat as warm', () => {
    const disks = syntheticFleet(shape).map((d, i) => ({ ...d, usedBytes: i < 12 ? 500 : 100 }));
    const heat = new Map<string, number>();
    disks.forEach((d, i) => {
      if (i !== 0) heat.set(d.diskId, i % 2 === 0 ? 0.2 : 0.4);
    });
    const view = FleetView.build(disks, heat);
    expect(view.meanFill).toBeCloseTo(0.3);
    expect(view.unknownHeatDisks).toBe(1);
    expect(view.meanHeat).toBeCloseTo((11 * 0.4 + 11 * 0.2) / 22);
    // Unknown: the 90th percentile of known heat, and never below 1.25 × the mean.
    expect(view.relativeHeat(0)).toBeCloseTo(Math.max(0.4 / view.meanHeat, 1.25));
    // As warm as the hottest tenth, far above a cool disk.
    expect(view.relativeHeat(0)).toBeGreaterThanOrEqual(view.relativeHeat(1));
    expect(view.relativeHeat(0)).toBeGreaterThan(2 * view.relativeHeat(2) - 1e-9);
    expect(view.relativeHeat(1)).toBeCloseTo(0.4 / view.meanHeat);
    expect(view.relativeFill(0)).toBeCloseTo(0.5 / 0.3);
  });

  it('treats a stale (undefined) or bogus heat value as unknown', () => {
    const view = FleetView.build(syntheticFleet(shape));
    view.setHeat(0, 0.5);
    view.setHeat(1, undefined);
    view.setHeat(2, Number.NaN);
    view.setHeat(3, -1);
    expect(Number.isNaN(view.heat[0])).toBe(false);
    for (const i of [1, 2, 3]) expect(Number.isNaN(view.heat[i])).toBe(true);
    expect(view.setHeatById('nope', 1)).toBe(false);
  });

  it('counts reservations in fill until they expire, in order', () => {
    const view = FleetView.build(syntheticFleet(shape));
    for (let t = 0; t < 200; t++) view.reserve(t % 3, 10, 1000 + t);
    expect(view.fillRatio(0)).toBeCloseTo((67 * 10) / 1000);
    view.expireReservations(1099);
    expect(view.reservedBytes[0]! + view.reservedBytes[1]! + view.reservedBytes[2]!).toBe(100 * 10);
    view.expireReservations(5000);
    expect(view.fillRatio(0)).toBe(0);
  });
});
