// `platter disks` against a real etcd and Redis holding what storage nodes
// write: inventory records, live keys, heat samples. Stale or missing heat
// must print as unknown, never as an idle disk.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { connectEtcd, DiskLiveRecordCodec, DiskRecordCodec, Keyspace, type Etcd3 } from '@platter/cluster';
import { connectRedis, HeatPublisher, redisReady, type Redis } from '@platter/heat';
import { commonV1 } from '@platter/proto';
import { createLogger } from '@platter/telemetry';
import { Cleanup, startEtcd, startRedis } from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDisks, runDisks } from './disks.js';

const cleanup = new Cleanup();
let etcd: Etcd3;
let redis: Redis;
const keyspace = new Keyspace();
const now = new Date().toISOString();

beforeAll(async () => {
  const [e, r] = await Promise.all([startEtcd(), startRedis()]);
  cleanup.add(() => e.destroy());
  cleanup.add(() => r.destroy());
  const saved = { etcd: process.env.ETCD_ENDPOINTS, redis: process.env.REDIS_URL };
  process.env.ETCD_ENDPOINTS = e.clientUrl;
  process.env.REDIS_URL = r.url;
  cleanup.add(() => {
    process.env.ETCD_ENDPOINTS = saved.etcd;
    process.env.REDIS_URL = saved.redis;
  });
  etcd = connectEtcd(e.endpoints);
  cleanup.add(() => etcd.close());
  redis = connectRedis(r.url, { logger: createLogger({ service: 'test', level: 'silent' }) });
  cleanup.add(() => redis.disconnect());
  expect(await redisReady(redis, 5_000)).toBe(true);

  for (const [diskId, state] of [
    ['d1', 'active'],
    ['d2', 'draining'],
    ['d3', 'joining'],
  ] as const) {
    const rec = {
      diskId,
      nodeId: 'storage-1',
      labels: { zone: 'z1', rack: 'r1', host: 'h1' },
      state,
      capacityBytes: 1e12,
      createdAt: now,
      updatedAt: now,
    };
    await etcd.put(keyspace.disk(diskId)).value(DiskRecordCodec.encode(rec));
  }
  for (const diskId of ['d1', 'd2']) {
    await etcd
      .put(keyspace.diskLive(diskId))
      .value(DiskLiveRecordCodec.encode({ diskId, nodeId: 'storage-1', grpcAddress: '127.0.0.1:7001', since: now }));
  }
  const heat = (diskId: string, sampledAt: number) =>
    create(commonV1.DiskHeatSchema, {
      diskId,
      sampledAt: timestampFromMs(sampledAt),
      queueDepth: 4,
      readOpsPerSecond: 100,
      writeBytesPerSecond: 5e6,
      latencyP99Seconds: 0.02,
      usage: { capacityBytes: 2n * 10n ** 12n, usedBytes: 5n * 10n ** 11n },
      state: commonV1.DiskState.ACTIVE,
    });
  await new HeatPublisher({ redis }).publish([heat('d1', Date.now()), heat('d2', Date.now() - 120_000)]);
});
afterAll(() => cleanup.run());

describe('platter disks', () => {
  it('joins inventory, liveness and heat; stale or missing heat is unknown', async () => {
    const { disks, problems } = await listDisks();
    expect(problems).toEqual([]);
    expect(disks.map((d) => d.diskId)).toEqual(['d1', 'd2', 'd3']);
    const [d1, d2, d3] = disks;
    expect(d1).toMatchObject({
      nodeId: 'storage-1',
      zone: 'z1',
      rack: 'r1',
      host: 'h1',
      state: 'active',
      live: true,
      address: '127.0.0.1:7001',
      capacityBytes: 2e12,
      usedBytes: 5e11,
      fillRatio: 0.25,
    });
    expect(d1!.heat).toMatchObject({ status: 'fresh', queueDepth: 4, readOpsPerSecond: 100, latencyP99Seconds: 0.02 });
    expect(d2).toMatchObject({
      state: 'draining',
      live: true,
      fillRatio: null,
      heat: { status: 'unknown', reason: 'stale' },
    });
    expect(d3).toMatchObject({
      state: 'joining',
      live: false,
      capacityBytes: 1e12,
      heat: { status: 'unknown', reason: 'missing' },
    });
  });

  it('prints JSON with --json and a table otherwise', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(' '));
    try {
      expect(await runDisks(['--json'])).toBe(0);
      expect(JSON.parse(lines.join('\n')).disks).toHaveLength(3);
      lines.length = 0;
      expect(await runDisks([])).toBe(0);
    } finally {
      console.log = log;
    }
    expect(lines[0]).toMatch(/^DISK\s+NODE\s+ZONE\/RACK\/HOST\s+STATE\s+LIVE\s+FILL\s+HEAT/);
    expect(lines.find((l) => l.startsWith('d3'))).toMatch(/joining\s+DOWN/);
    expect(lines.find((l) => l.startsWith('d1'))).toMatch(/25\.0% of 2000\.0GB\s+qd 4/);
  });
});
