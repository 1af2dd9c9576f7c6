import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { HeatReading } from '@platter/heat';
import { commonV1 } from '@platter/proto';
import { describe, expect, it } from 'vitest';
import type { InventoryDisk } from './inventory-disk.js';
import { PlacementState } from './placement-state.js';

function disk(
  diskId: string,
  host: string,
  state: InventoryDisk['record']['state'] = 'active',
  live = true,
): InventoryDisk {
  return {
    record: {
      diskId,
      nodeId: `n-${host}`,
      labels: { zone: `z-${host}`, rack: 'r', host },
      state,
      capacityBytes: 1000,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    },
    stateEpoch: 3,
    live: live ? { diskId, nodeId: `n-${host}`, grpcAddress: '127.0.0.1:1', since: '2026-01-01T00:00:00Z' } : undefined,
  };
}

function fresh(diskId: string, queueDepth: number, usedBytes: number): HeatReading {
  const heat = create(commonV1.DiskHeatSchema, {
    diskId,
    sampledAt: timestampFromMs(Date.now()),
    queueDepth,
    usage: { capacityBytes: 1000n, usedBytes: BigInt(usedBytes) },
  });
  return { status: 'fresh', heat, ageSeconds: 0 };
}

describe('PlacementState', () => {
  it('answers UNAVAILABLE-worthy "not ready" until an inventory arrives, then sorts it by id', () => {
    const s = new PlacementState();
    expect(s.ready).toBe(false);
    s.setInventory([disk('b', 'h2'), disk('a', 'h1'), disk('c', 'h3', 'joining')], '42');
    expect(s.ready).toBe(true);
    expect(s.inventory().map((d) => d.record.diskId)).toEqual(['a', 'b', 'c']);
    expect(s.view.diskIds).toEqual(['a', 'b', 'c']);
    expect(s.inventoryRevision).toBe('42');
    expect([...s.view.writable]).toEqual([1, 1, 0]);
    expect(s.view.stateEpoch[0]).toBe(3);
  });

  it('does not let a disk without a live lease take shards', () => {
    const s = new PlacementState();
    s.setInventory([disk('a', 'h1'), disk('b', 'h2', 'active', false)], '1');
    expect([...s.view.writable]).toEqual([1, 0]);
  });

  it('applies fresh heat and usage, makes stale heat unknown (not cold) but keeps the last usage', () => {
    const s = new PlacementState();
    s.setInventory([disk('a', 'h1'), disk('b', 'h2')], '1');
    s.applyHeat(
      new Map([
        ['a', fresh('a', 8, 500)],
        ['b', fresh('b', 0, 100)],
      ]),
      1,
    );
    expect(s.view.heat[0]).toBe(1);
    expect(s.view.heat[1]).toBe(0);
    expect(s.view.usedBytes[0]).toBe(500);
    expect(s.heat('a')?.queueDepth).toBe(8);
    s.applyHeat(new Map<string, HeatReading>([['a', { status: 'unknown', reason: 'stale' }]]), 2);
    expect(Number.isNaN(s.view.heat[0])).toBe(true);
    expect(s.heat('a')).toBeUndefined();
    expect(s.view.usedBytes[0]).toBe(500);
    expect(s.view.unknownHeatDisks).toBe(1);
    expect(s.heatAppliedAt).toBe(2);
  });

  it('keeps heat and usage across a rebuild of the view and forgets disks that left', () => {
    const s = new PlacementState();
    s.setInventory([disk('a', 'h1'), disk('b', 'h2')], '1');
    s.applyHeat(new Map([['b', fresh('b', 4, 300)]]), 1);
    s.setInventory([disk('b', 'h2', 'draining'), disk('c', 'h3')], '2');
    expect(s.view.indexOf('b')).toBe(0);
    expect(s.view.heat[0]).toBe(0.5);
    expect(s.view.usedBytes[0]).toBe(300);
    expect(s.disk('a')).toBeUndefined();
    expect(s.heat('a')).toBeUndefined();
  });
});
