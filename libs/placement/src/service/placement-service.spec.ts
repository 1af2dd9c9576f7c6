// The placement service in process over a real etcd and Redis: the runtime
// (inventory watch, heat poller, state, service, disk state writer, leader
// loop) behind a real gRPC server. It passes the PlacementService contract
// suite, and its leader publishes move tasks to the Redis stream.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { connectEtcd, Keyspace, type Etcd3 } from '@platter/cluster';
import { connectRedis, HeatPublisher, redisReady, type Redis } from '@platter/heat';
import { commonV1, placementV1 } from '@platter/proto';
import { createRpcClient, createRpcServer, type RpcServer } from '@platter/rpc';
import { createLogger, createMetricsRegistry } from '@platter/telemetry';
import { Cleanup, startEtcd, startRedis, waitFor, type EtcdHandle, type RedisHandle } from '@platter/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { placementConfigSchema } from '../config.js';
import {
  describePlacementContract,
  seedInventory,
  waitForDiskState,
  type PlacementClient,
  type SeedDisk,
} from '../testing/index.js';
import { decodeMoveTask, moveStreamKey } from './move-stream.js';
import { PlacementRuntime } from './placement-runtime.js';

const logger = createLogger({ service: 'placement-test', level: 'silent' });
const TB = 1e12;
const DISKS: SeedDisk[] = ['a', 'b', 'c'].flatMap((z) =>
  [1, 2, 3].flatMap((h) =>
    [1, 2].map((d) => ({
      diskId: `${z}${h}-d${d}`,
      nodeId: `storage-${z}${h}`,
      zone: `zone-${z}`,
      rack: `rack-${z}`,
      host: `host-${z}${h}`,
      capacityBytes: 4 * TB,
      state: 'active' as const,
      address: `127.0.0.1:${7000 + h}`,
    })),
  ),
);

function heat(diskId: string, usedBytes: number, queueDepth = 1): commonV1.DiskHeat {
  return create(commonV1.DiskHeatSchema, {
    diskId,
    sampledAt: timestampFromMs(Date.now()),
    queueDepth,
    readOpsPerSecond: 10,
    usage: { capacityBytes: BigInt(4 * TB), usedBytes: BigInt(usedBytes), liveBytes: BigInt(usedBytes) },
    state: commonV1.DiskState.ACTIVE,
  });
}

const cleanup = new Cleanup();
let etcdServer: EtcdHandle;
let redisServer: RedisHandle;
let etcd: Etcd3;
let redis: Redis;
let runtime: PlacementRuntime;
let server: RpcServer;
let client: PlacementClient;
const keyspace = new Keyspace();
const stop = new AbortController();

async function start(): Promise<void> {
  [etcdServer, redisServer] = await Promise.all([startEtcd(), startRedis()]);
  cleanup.add(() => etcdServer.destroy());
  cleanup.add(() => redisServer.destroy());
  etcd = connectEtcd(etcdServer.endpoints);
  cleanup.add(() => etcd.close());
  redis = connectRedis(redisServer.url, { logger });
  cleanup.add(() => redis.disconnect());
  expect(await redisReady(redis, 5_000)).toBe(true);
  const lease = await seedInventory(etcd, keyspace, DISKS);
  cleanup.add(() => lease.revoke());
  await new HeatPublisher({ redis, ttlMs: 60_000 }).publish(DISKS.map((d) => heat(d.diskId, 0.4 * 4 * TB)));
  const config = placementConfigSchema.parse({
    id: 'placement-t1',
    etcdEndpoints: etcdServer.clientUrl,
    redisUrl: redisServer.url,
    heatPollIntervalMs: 200,
    // Rounds are driven by hand below.
    rebalanceIntervalMs: 3_600_000,
    electionTtlSeconds: 2,
  });
  runtime = await PlacementRuntime.open({
    config,
    etcd,
    keyspace,
    redis,
    registry: createMetricsRegistry({ service: 'placement', instance: 'placement-t1' }),
    logger,
    seed: 7,
  });
  cleanup.add(() => runtime.close());
  cleanup.add(() => stop.abort());
  await runtime.start(stop.signal);
  server = createRpcServer({ logger, registry: createMetricsRegistry({ service: 'rpc', instance: 't' }) });
  server.add(placementV1.PlacementService, runtime.service);
  const port = await server.listen('127.0.0.1:0');
  cleanup.add(() => server.shutdown(1_000));
  client = createRpcClient(placementV1.PlacementService, `127.0.0.1:${port}`, { defaultTimeoutMs: 5_000 });
  cleanup.add(() => client.close());
}

describePlacementContract('the real service, in process', async () => {
  await start();
  return { client, scheme: { k: 4, m: 2 }, disks: DISKS, teardown: () => Promise.resolve() };
});

describe('the placement runtime', () => {
  afterAll(() => cleanup.run());

  it('shows fresh heat and usage from Redis in its answers', async () => {
    const res = await client.getFleetHeat({});
    expect(res.aggregates?.disksWithoutHeat).toBe(0);
    expect(res.aggregates?.fillMean).toBeCloseTo(0.4, 5);
    expect(res.disks.every((d) => d.sample?.queueDepth === 1)).toBe(true);
  });

  it('summarizes fleet heat once per heat poll, however many ask in between', async () => {
    const at = (r: placementV1.GetFleetHeatResponse): string =>
      `${r.aggregates!.computedAt!.seconds}.${r.aggregates!.computedAt!.nanos}`;
    // Asked twice within one heat poll (the spec's poller runs every 200 ms), the summary is the same one.
    let same = false;
    for (let tries = 0; tries < 20 && !same; tries++) {
      const generation = runtime.state.generation;
      const a = await client.getFleetHeat({});
      await new Promise((r) => setTimeout(r, 5));
      const b = await client.getFleetHeat({ minRelativeHeat: 0.5 });
      if (runtime.state.generation !== generation) continue;
      expect(at(b)).toBe(at(a));
      same = true;
    }
    expect(same).toBe(true);
    // A later poll gives a new one.
    const first = at(await client.getFleetHeat({}));
    await waitFor('a new heat poll', async () => at(await client.getFleetHeat({})) !== first, { timeoutMs: 5_000 });
  });

  it('lets two concurrent changes of one disk both land on a fresh epoch, never lose one', async () => {
    const diskId = DISKS[2]!.diskId;
    const S = commonV1.DiskState;
    const [a, b] = await Promise.all([
      client.setDiskState({ diskId, state: S.DRAINING, reason: 'race a' }),
      client.setDiskState({ diskId, state: S.DRAINING, reason: 'race b' }),
    ]);
    // Exactly one wrote; the other found it done.
    expect([a.changed, b.changed].sort()).toEqual([false, true]);
    expect(a.disk?.stateEpoch).toBe(b.disk?.stateEpoch);
    await waitForDiskState(client, diskId, S.DRAINING);
    await waitFor(
      'the listed epoch to catch up',
      async () => (await client.listDisks({ diskIds: [diskId] })).disks[0]?.stateEpoch === a.disk?.stateEpoch,
      { timeoutMs: 5_000 },
    );
  });

  it('as leader, publishes a rate-limited drain task for the draining disk to the move stream', async () => {
    await waitFor('election', () => runtime.election.isLeader, { timeoutMs: 10_000 });
    const round = await runtime.loop.round(runtime.election.epoch!);
    const drain = round.tasks.find((t) => t.reason === 'drain');
    expect(drain?.sourceDiskId).toBe(DISKS[2]!.diskId);
    const entries = (await redis.xrange(moveStreamKey(), '-', '+')) as [string, string[]][];
    const tasks = entries.map(([, fields]) => decodeMoveTask(fields));
    expect(tasks.map((t) => t?.taskId)).toContain(drain?.taskId);
    expect(tasks.every((t) => t !== undefined && t.bytes > 0 && t.leaderEpoch === runtime.election.epoch)).toBe(true);
    expect(moveStreamKey()).toBe('platter:rebalance:moves');
    // The round spent its burst: the next one right after has (almost) nothing to give.
    const next = await runtime.loop.round(runtime.election.epoch!);
    const spent = round.tasks.reduce((n, t) => n + t.bytes, 0) + next.tasks.reduce((n, t) => n + t.bytes, 0);
    expect(spent).toBeLessThanOrEqual(2 ** 30 + 200 * 2 ** 20);
  });
});
