import type { HeatReader, HeatReading } from '@platter/heat';
import { createLogger } from '@platter/telemetry';
import { describe, expect, it } from 'vitest';
import { HeatPoller } from './heat-poller.js';
import { PlacementState } from './placement-state.js';

describe('HeatPoller', () => {
  it('asks for every inventoried disk in one read and applies the answer', async () => {
    const state = new PlacementState();
    state.setInventory(
      ['a', 'b'].map((id) => ({
        record: {
          diskId: id,
          nodeId: 'n',
          labels: { zone: 'z', rack: 'r', host: id },
          state: 'active' as const,
          capacityBytes: 1,
          createdAt: '2026-01-01T00:00:00Z',
          updatedAt: '2026-01-01T00:00:00Z',
        },
        stateEpoch: 1,
        live: undefined,
      })),
      '1',
    );
    const asked: string[][] = [];
    const reader = {
      read: (ids: readonly string[]) => {
        asked.push([...ids]);
        return Promise.resolve(
          new Map<string, HeatReading>(ids.map((id) => [id, { status: 'unknown', reason: 'missing' }])),
        );
      },
    } as unknown as HeatReader;
    let clock = 100;
    const poller = new HeatPoller({
      reader,
      state,
      intervalMs: 10,
      now: () => clock++,
      logger: createLogger({ service: 't', level: 'silent' }),
    });
    await poller.pollOnce();
    expect(asked).toEqual([['a', 'b']]);
    expect(state.view.unknownHeatDisks).toBe(2);
    expect(state.heatAppliedAt).toBeGreaterThan(100);
    const stop = new AbortController();
    const run = poller.run(stop.signal);
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await run;
    expect(poller.polls).toBeGreaterThan(2);
  });
});
