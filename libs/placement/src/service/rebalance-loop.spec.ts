import { createLogger, createMetricsRegistry } from '@platter/telemetry';
import { describe, expect, it } from 'vitest';
import { ByteRateLimiter } from '../byte-rate-limiter.js';
import { RebalancePlanner } from '../rebalance-planner.js';
import { createRng } from '../rng.js';
import type { DiskStateChange, DiskStateResult, DiskStateStore } from './disk-state-store.js';
import type { InventoryDisk } from './inventory-disk.js';
import type { MoveTask, MoveTaskSink } from './move-stream.js';
import { PlacementMetrics } from './placement-metrics.js';
import { PlacementState } from './placement-state.js';
import { RebalanceLoop } from './rebalance-loop.js';

const GiB = 2 ** 30;
const logger = createLogger({ service: 'test', level: 'silent' });

function disk(diskId: string, host: string, state: InventoryDisk['record']['state'], live: boolean): InventoryDisk {
  return {
    record: {
      diskId,
      nodeId: 'n',
      labels: { zone: 'z', rack: 'r', host },
      state,
      capacityBytes: 100 * GiB,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    },
    stateEpoch: 1,
    live: live ? { diskId, nodeId: 'n', grpcAddress: '127.0.0.1:1', since: '2026-01-01T00:00:00Z' } : undefined,
  };
}

class FakeStore implements DiskStateStore {
  readonly changes: DiskStateChange[] = [];
  setState(change: DiskStateChange): Promise<DiskStateResult> {
    this.changes.push(change);
    const record = { ...disk(change.diskId, 'h', change.state, true).record };
    return Promise.resolve({ record, stateEpoch: change.expectedStateEpoch + 1, changed: true });
  }
}

class FakeSink implements MoveTaskSink {
  readonly published: MoveTask[] = [];
  publish(tasks: readonly MoveTask[]): Promise<void> {
    this.published.push(...tasks);
    return Promise.resolve();
  }
}

function setup(autoActivateJoining: boolean) {
  const state = new PlacementState();
  state.setInventory(
    [
      disk('a', 'h1', 'draining', true),
      disk('b', 'h2', 'active', true),
      disk('c', 'h3', 'active', true),
      disk('j1', 'h4', 'joining', true),
      disk('j2', 'h5', 'joining', false),
    ],
    '1',
  );
  const i = state.view.indexOf('a')!;
  state.view.setUsedBytes(i, 10 * GiB);
  state.view.refreshAggregates();
  let clock = 0;
  const store = new FakeStore();
  const sink = new FakeSink();
  const loop = new RebalanceLoop({
    state,
    planner: new RebalancePlanner({ rng: createRng(1) }),
    // 1 GiB/s, 2 GiB banked.
    limiter: new ByteRateLimiter(GiB, 2 * GiB),
    sink,
    store,
    metrics: new PlacementMetrics(createMetricsRegistry({ service: 'placement', instance: 't' }), state),
    autoActivateJoining,
    maxSources: 8,
    intervalMs: 1_000,
    now: () => clock,
    logger,
  });
  return { loop, store, sink, advance: (ms: number) => (clock += ms) };
}

describe('RebalanceLoop', () => {
  it('publishes a drain task per round within the byte budget, and waits for the budget to refill', async () => {
    const { loop, sink, advance } = setup(false);
    const first = await loop.round('5');
    expect(first.tasks).toHaveLength(1);
    expect(first.tasks[0]).toMatchObject({ sourceDiskId: 'a', reason: 'drain', leaderEpoch: '5' });
    // Capped by the planner's per-source cap (1 GiB), well below the 10 GiB to shed.
    expect(first.tasks[0]!.bytes).toBe(GiB);
    // Another GiB is still banked; then the bucket is empty until time passes.
    expect((await loop.round('5')).tasks[0]!.bytes).toBe(GiB);
    expect((await loop.round('5')).tasks).toHaveLength(0);
    advance(500);
    expect((await loop.round('5')).tasks[0]!.bytes).toBe(GiB / 2);
    expect(sink.published).toHaveLength(3);
  });

  it('activates only joining disks that are live, and only when told to', async () => {
    const off = setup(false);
    expect((await off.loop.round('1')).activated).toEqual([]);
    expect(off.store.changes).toEqual([]);
    const on = setup(true);
    expect((await on.loop.round('1')).activated).toEqual(['j1']);
    expect(on.store.changes).toEqual([
      expect.objectContaining({ diskId: 'j1', state: 'active', expectedStateEpoch: 1 }),
    ]);
  });

  it('runs rounds only while an epoch is held', async () => {
    const { loop, sink } = setup(false);
    const stop = new AbortController();
    const lead: { epoch: string | undefined } = { epoch: undefined };
    const running = loop.run(stop.signal, () => lead.epoch);
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.published).toHaveLength(0);
    stop.abort();
    await running;
    lead.epoch = '9';
    const again = new AbortController();
    const leading = loop.run(again.signal, () => lead.epoch);
    await new Promise((r) => setTimeout(r, 20));
    again.abort();
    await leading;
    expect(sink.published.map((t) => t.leaderEpoch)).toEqual(['9']);
  });
});
