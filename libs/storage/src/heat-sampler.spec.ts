// Heat samples from the engine's counters: rates over the interval, latency
// quantiles, space, and a failed disk reported FAILED; and a publishing loop
// that shrugs off a Redis that is not there.
import { randomBytes } from 'node:crypto';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { connectRedis, HeatPublisher } from '@platter/heat';
import { commonV1 } from '@platter/proto';
import { createLogger } from '@platter/telemetry';
import { freePort } from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeatLoop } from './heat-loop.js';
import { HeatSampler } from './heat-sampler.js';
import { newShardId, putStream, readShard, startInProcessStorage, type InProcessStorage } from './testing/index.js';

const BS = 64 * 1024;

describe('heat samples', () => {
  let s: InProcessStorage;
  beforeAll(async () => {
    s = await startInProcessStorage({ diskIds: ['h1'], blockSizeBytes: BS });
  });
  afterAll(() => s.stop());

  it('turn counter deltas into per-second rates and latencies, with space and state', async () => {
    let mono = 0;
    const sampler = new HeatSampler(s.states, { monotonicMs: () => mono, wallMs: () => 1_700_000_000_000 + mono });
    s.states.set('h1', commonV1.DiskState.DRAINING);
    const disk = s.disks.get('h1')!;
    const first = await sampler.sample(disk);
    expect(first).toMatchObject({
      diskId: 'h1',
      queueDepth: 0,
      readOpsPerSecond: 0,
      writeOpsPerSecond: 0,
      state: commonV1.DiskState.DRAINING,
    });
    expect(first.usage?.capacityBytes).toBeGreaterThan(0n);

    s.states.set('h1', commonV1.DiskState.ACTIVE);
    const data = randomBytes(2 * BS);
    const ids = [newShardId(), newShardId()];
    for (const id of ids)
      await s.client.putShard(
        putStream({ diskId: 'h1', shardId: id, totalLength: BigInt(data.byteLength), blockSize: BS }, data),
      );
    for (const id of ids)
      expect((await readShard(s.client, { diskId: 'h1', shardId: id })).data.byteLength).toBe(data.byteLength);
    mono += 2_000;
    const second = await sampler.sample(disk);
    expect(timestampMs(second.sampledAt!)).toBe(1_700_000_002_000);
    expect(second.writeOpsPerSecond).toBeCloseTo(1, 6);
    expect(second.readOpsPerSecond).toBeCloseTo(1, 6);
    expect(second.writeBytesPerSecond).toBeCloseTo(data.byteLength, 6);
    expect(second.readBytesPerSecond).toBeCloseTo(data.byteLength, 6);
    expect(second.latencyP99Seconds).toBeGreaterThan(0);
    expect(second.latencyP99Seconds).toBeGreaterThanOrEqual(second.latencyP50Seconds);
    expect(second.usage!.liveBytes).toBeGreaterThanOrEqual(BigInt(2 * data.byteLength));
    expect(second.state).toBe(commonV1.DiskState.ACTIVE);

    mono += 1_000;
    const idle = await sampler.sample(disk);
    expect(idle.writeOpsPerSecond).toBe(0);
    expect(idle.latencyP99Seconds).toBe(0);

    disk.markFailed('test');
    expect((await sampler.sample(disk)).state).toBe(commonV1.DiskState.FAILED);
  });

  it('a loop whose Redis is unreachable counts failures, never throws, and stops with its signal', async () => {
    const logger = createLogger({ service: 'test', level: 'silent' });
    const redis = connectRedis(`redis://127.0.0.1:${await freePort()}`, { logger, connectTimeoutMs: 200 });
    try {
      const loop = new HeatLoop({
        disks: s.disks,
        sampler: new HeatSampler(s.states),
        publisher: new HeatPublisher({ redis }),
        intervalMs: 50,
        logger,
      });
      expect(await loop.tick()).toBe(false);
      const stop = new AbortController();
      const running = loop.run(stop.signal);
      await new Promise((r) => setTimeout(r, 300));
      stop.abort();
      await running;
      expect(loop.stats.failed).toBeGreaterThanOrEqual(3);
      expect(loop.stats.published).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
