// Heat round trip through a real Redis: the key layout and codec, the TTL,
// and the rule that anything but a fresh sample is "unknown", never cold —
// including when Redis itself is down.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { commonV1 } from '@platter/proto';
import { createLogger } from '@platter/telemetry';
import { Cleanup, startRedis, waitFor, type RedisHandle } from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeatKeyError } from './errors.js';
import { decodeHeat, encodeHeat } from './heat-codec.js';
import { HeatKeyspace } from './heat-keys.js';
import { HeatPublisher } from './heat-publisher.js';
import { HeatReader } from './heat-reader.js';
import { LogLimiter } from './log-limiter.js';
import { connectRedis, redisReady, type Redis } from './index.js';

const logger = createLogger({ service: 'heat-test', level: 'silent' });

function sample(diskId: string, sampledAtMs = Date.now()): commonV1.DiskHeat {
  return create(commonV1.DiskHeatSchema, {
    diskId,
    sampledAt: timestampFromMs(sampledAtMs),
    queueDepth: 3,
    readOpsPerSecond: 120.5,
    writeBytesPerSecond: 8e6,
    latencyP99Seconds: 0.012,
    usage: { capacityBytes: 10n ** 12n, usedBytes: 4n * 10n ** 11n, liveBytes: 3n * 10n ** 11n, deadBytes: 10n ** 10n },
    state: commonV1.DiskState.ACTIVE,
  });
}

describe('heat keys and codec', () => {
  it('lays keys out as <prefix>heat:disk:<id> and refuses ids that could escape', () => {
    expect(new HeatKeyspace().diskHeat('d-1')).toBe('platter:heat:disk:d-1');
    expect(new HeatKeyspace('c2:').diskHeat('d1')).toBe('c2:heat:disk:d1');
    for (const bad of ['', 'D1', 'a:b', 'a/b', 'x*', 'a'.repeat(64)])
      expect(() => new HeatKeyspace().diskHeat(bad)).toThrow(HeatKeyError);
    expect(() => new HeatKeyspace('no-colon')).toThrow(HeatKeyError);
  });

  it('round-trips a sample and rejects what is not one', () => {
    const s = sample('d1', 1_700_000_000_000);
    expect(decodeHeat(encodeHeat(s))).toEqual(s);
    expect(() => decodeHeat(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
    expect(() => decodeHeat(new Uint8Array(0))).toThrow(/disk_id/);
  });

  it('lets one log line through per interval and counts the rest', () => {
    let t = 0;
    const l = new LogLimiter(1000, () => t);
    expect(l.take()).toBe(0);
    expect(l.take()).toBeUndefined();
    expect(l.take()).toBeUndefined();
    t = 1500;
    expect(l.take()).toBe(2);
  });
});

describe('heat in redis', () => {
  const cleanup = new Cleanup();
  let redisServer: RedisHandle;
  let redis: Redis;

  beforeAll(async () => {
    redisServer = await startRedis();
    cleanup.add(() => redisServer.destroy());
    redis = connectRedis(redisServer.url, { logger });
    cleanup.add(() => redis.disconnect());
    expect(await redisReady(redis, 5_000)).toBe(true);
  });
  afterAll(() => cleanup.run());

  it('publishes with a TTL and reads fresh samples back', async () => {
    const pub = new HeatPublisher({ redis, ttlMs: 5_000 });
    await pub.publish([sample('d1'), sample('d2')]);
    const pttl = await redis.pttl('platter:heat:disk:d1');
    expect(pttl).toBeGreaterThan(3_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
    const got = await new HeatReader({ redis }).read(['d1', 'd2', 'd3']);
    const d1 = got.get('d1');
    expect(d1?.status).toBe('fresh');
    if (d1?.status === 'fresh') {
      expect(d1.heat.queueDepth).toBe(3);
      expect(d1.heat.usage?.capacityBytes).toBe(10n ** 12n);
      expect(d1.ageSeconds).toBeLessThan(5);
    }
    expect(got.get('d2')?.status).toBe('fresh');
    expect(got.get('d3')).toEqual({ status: 'unknown', reason: 'missing' });
  });

  it('forgets a sample after its TTL: unknown, not cold', async () => {
    await new HeatPublisher({ redis, ttlMs: 200 }).publish([sample('ttl-1')]);
    await waitFor('heat to expire', async () => (await redis.exists('platter:heat:disk:ttl-1')) === 0, {
      timeoutMs: 3_000,
    });
    expect((await new HeatReader({ redis }).read(['ttl-1'])).get('ttl-1')).toEqual({
      status: 'unknown',
      reason: 'missing',
    });
  });

  it('calls an old sample stale and a foreign value malformed', async () => {
    await new HeatPublisher({ redis }).publish([sample('old-1', Date.now() - 60_000)]);
    await redis.set('platter:heat:disk:junk-1', Buffer.from('not protobuf \xff\xff'));
    await redis.set('platter:heat:disk:other-1', encodeHeat(sample('someone-else')));
    const got = await new HeatReader({ redis }).read(['old-1', 'junk-1', 'other-1']);
    expect(got.get('old-1')).toEqual({ status: 'unknown', reason: 'stale' });
    expect(got.get('junk-1')).toEqual({ status: 'unknown', reason: 'malformed' });
    expect(got.get('other-1')).toEqual({ status: 'unknown', reason: 'malformed' });
  });

  it('with Redis down: publishing rejects at once, reading says unavailable, and both recover', async () => {
    await redisServer.stop();
    await waitFor('client to notice', () => redis.status !== 'ready', { timeoutMs: 5_000 });
    const pub = new HeatPublisher({ redis });
    const t0 = performance.now();
    await expect(pub.publish([sample('d1')])).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect((await new HeatReader({ redis }).read(['d1'])).get('d1')).toEqual({
      status: 'unknown',
      reason: 'unavailable',
    });
    await redisServer.start();
    expect(await redisReady(redis, 10_000)).toBe(true);
    await pub.publish([sample('d1')]);
    expect((await new HeatReader({ redis }).read(['d1'])).get('d1')?.status).toBe('fresh');
  });
});
