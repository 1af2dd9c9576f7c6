import { create } from '@bufbuild/protobuf';
import { commonV1, placementV1 } from '@platter/proto';
import { Code, RpcError } from '@platter/rpc';
import { createLogger } from '@platter/telemetry';
import { describe, expect, it } from 'vitest';
import { ReadSteering } from '../data/read-steering.js';
import { HotDiskFeed } from './hot-disk-feed.js';
import type { PlacementClient } from './placement-allocator.js';

// The feed alone, against a stub of the one call it makes (the real
// GetFleetHeat filter is in the placement contract suite; the whole path runs
// in apps/e2e read-steering.spec.ts).

function row(diskId: string, heat: number, sampled = true): placementV1.DiskHeatRow {
  return create(placementV1.DiskHeatRowSchema, {
    disk: { diskId },
    state: commonV1.DiskState.ACTIVE,
    heat,
    ...(sampled ? { sample: create(commonV1.DiskHeatSchema, { diskId }) } : {}),
  });
}

function feedWith(answer: () => Promise<placementV1.GetFleetHeatResponse>) {
  const asked: placementV1.GetFleetHeatRequest[] = [];
  const client = {
    getFleetHeat: async (req: placementV1.GetFleetHeatRequest) => {
      asked.push(req);
      return answer();
    },
  } as unknown as PlacementClient;
  const steering = new ReadSteering({ above: 1.05, gain: 0.5, release: 0.5 });
  const feed = new HotDiskFeed({
    placement: () => client,
    steering,
    minHeat: 0.1,
    intervalMs: 1_000,
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  return { feed, steering, asked };
}

describe('HotDiskFeed', () => {
  it('asks for the disks near the line and steers around those above it, heat relative to the fleet mean', async () => {
    const { feed, steering, asked } = feedWith(async () =>
      create(placementV1.GetFleetHeatResponseSchema, {
        aggregates: { heatMean: 0.2 },
        disks: [row('hot', 0.4), row('unknown', 0, false), row('warm', 0.2)],
      }),
    );
    await feed.refresh();
    expect(asked[0]?.minRelativeHeat).toBeCloseTo(1.05 * 0.98, 10);
    // 2× the mean: half the distance to the line, over its heat.
    expect(steering.skipProbability('hot')).toBeCloseTo((0.5 * (2 - 1.05)) / 2, 10);
    expect(steering.skipProbability('unknown')).toBe(0);
    expect(steering.skipProbability('warm')).toBe(0);
    await feed.close();
  });

  it('leaves alone a disk far above the mean of an idle fleet, under the heat floor', async () => {
    const { feed, steering } = feedWith(async () =>
      create(placementV1.GetFleetHeatResponseSchema, {
        aggregates: { heatMean: 0.01 },
        disks: [row('busier', 0.05)],
      }),
    );
    await feed.refresh();
    expect(steering.steeredDisks).toBe(0);
    await feed.close();
  });

  it('drops the steering after placement has not answered for five refreshes', async () => {
    let fail = false;
    const { feed, steering } = feedWith(async () => {
      if (fail) throw new RpcError(Code.UNAVAILABLE, 'placement down');
      return create(placementV1.GetFleetHeatResponseSchema, { aggregates: { heatMean: 0.1 }, disks: [row('hot', 1)] });
    });
    for (let i = 0; i < 3; i++) await feed.refresh();
    expect(steering.skipProbability('hot')).toBe(1);
    fail = true;
    for (let i = 0; i < 4; i++) await feed.refresh();
    expect(steering.skipProbability('hot')).toBe(1);
    await feed.refresh();
    expect(steering.steeredDisks).toBe(0);
    await feed.close();
  });
});
