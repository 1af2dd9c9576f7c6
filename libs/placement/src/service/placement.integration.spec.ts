// The placement process for real: `node apps/placement/dist/main.js` (built)
// against a real etcd and Redis, with the local cluster's fleet
// (deploy/local/cluster.yaml: 9 hosts × 3 disks in 3 zones) registered in the
// etcd inventory exactly as storage nodes register disks, and heat published
// to Redis every half second as storage nodes do. Over real gRPC:
// (a) allocations spread evenly, (b) a drained disk gets nothing new,
// (c) a hot disk gets clearly less, (d) with autoActivateJoining the leader
// activates a joining disk that is live.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { connectEtcd, Keyspace, type Etcd3 } from '@platter/cluster';
import { connectRedis, HeatPublisher, redisReady, type Redis } from '@platter/heat';
import { commonV1, placementV1 } from '@platter/proto';
import { createRpcClient } from '@platter/rpc';
import { createLogger } from '@platter/telemetry';
import {
  Cleanup,
  freePort,
  startEtcd,
  startProcess,
  startRedis,
  waitFor,
  type EtcdHandle,
  type RedisHandle,
} from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  localClusterDisks,
  seedInventory,
  waitForDiskState,
  type PlacementClient,
  type SeedDisk,
} from '../testing/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const MAIN = path.join(ROOT, 'apps', 'placement', 'dist', 'main.js');
const CLUSTER_YAML = path.join(ROOT, 'deploy', 'local', 'cluster.yaml');
const TB = 1e12;
/** Heat is republished this often, ms (storage nodes publish every second with a 5 s TTL). */
const HEAT_EVERY_MS = 500;
/** Allocations run this many at a time over the one client channel. */
const IN_FLIGHT = 32;

interface LocalCluster {
  cluster: { ec: { k: number; m: number } };
  zones: { name: string; racks: { name: string; hosts: string[] }[] }[];
  storage: { disksPerHost: number };
}

const local = parse(fs.readFileSync(CLUSTER_YAML, 'utf8')) as LocalCluster;
const { k, m } = local.cluster.ec;
const FLEET: SeedDisk[] = localClusterDisks(local.zones, local.storage.disksPerHost, 4 * TB);

const cleanup = new Cleanup();
const keyspace = new Keyspace();
let etcdServer: EtcdHandle;
let redisServer: RedisHandle;
let etcd: Etcd3;
let redis: Redis;
let client: PlacementClient;
let adminPort: number;
/** Queue depth each disk reports; 1 everywhere unless a test heats a disk up. */
const queueDepth = new Map<string, number>();

function sample(diskId: string): commonV1.DiskHeat {
  return create(commonV1.DiskHeatSchema, {
    diskId,
    sampledAt: timestampFromMs(Date.now()),
    queueDepth: queueDepth.get(diskId) ?? 1,
    readOpsPerSecond: 10,
    writeOpsPerSecond: 5,
    latencyP99Seconds: 0.01,
    usage: { capacityBytes: BigInt(4 * TB), usedBytes: BigInt(TB), liveBytes: BigInt(TB) },
    state: commonV1.DiskState.ACTIVE,
  });
}

/** Runs `n` allocations of the cluster's scheme and counts shards per disk. */
async function allocateMany(n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>(FLEET.map((d) => [d.diskId, 0]));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const res = await client.allocateStripe({ dataShards: k, parityShards: m });
      expect(res.shards.length).toBe(k + m);
      for (const s of res.shards) counts.set(s.disk!.diskId, (counts.get(s.disk!.diskId) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return counts;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b apps/placement)`);
  [etcdServer, redisServer] = await Promise.all([startEtcd(), startRedis()]);
  cleanup.add(() => etcdServer.destroy());
  cleanup.add(() => redisServer.destroy());
  etcd = connectEtcd(etcdServer.endpoints);
  cleanup.add(() => etcd.close());
  redis = connectRedis(redisServer.url, { logger: createLogger({ service: 'test', level: 'silent' }) });
  cleanup.add(() => redis.disconnect());
  expect(await redisReady(redis, 5_000)).toBe(true);

  const lease = await seedInventory(etcd, keyspace, FLEET);
  cleanup.add(() => lease.revoke());
  const publisher = new HeatPublisher({ redis });
  const publishAll = (): Promise<void> =>
    publisher.publish([...FLEET.map((d) => d.diskId), 'host-c3-d4'].map(sample)).catch(() => undefined);
  await publishAll();
  const timer = setInterval(() => void publishAll(), HEAT_EVERY_MS);
  cleanup.add(() => clearInterval(timer));

  const grpcPort = await freePort();
  adminPort = await freePort();
  const proc = await startProcess({
    name: 'placement-1',
    command: process.execPath,
    args: [MAIN],
    env: {
      PLATTER_ID: 'placement-1',
      PLATTER_ETCD_ENDPOINTS: etcdServer.clientUrl,
      PLATTER_REDIS_URL: redisServer.url,
      PLATTER_GRPC_PORT: String(grpcPort),
      PLATTER_ADMIN_PORT: String(adminPort),
      PLATTER_LEASE_TTL_SECONDS: '3',
      PLATTER_ELECTION_TTL_SECONDS: '2',
      PLATTER_HEAT_POLL_INTERVAL_MS: '250',
      PLATTER_REBALANCE_INTERVAL_MS: '1000',
      PLATTER_AUTO_ACTIVATE_JOINING: 'true',
      PLATTER_SHUTDOWN_GRACE_MS: '2000',
      PLATTER_LOG_LEVEL: 'warn',
    },
    readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
    readyTimeoutMs: 30_000,
  });
  cleanup.add(() => proc.stop(5_000));
  client = createRpcClient(placementV1.PlacementService, `127.0.0.1:${grpcPort}`, { defaultTimeoutMs: 10_000 });
  cleanup.add(() => client.close());
  await waitFor('heat of every disk', async () => (await client.getFleetHeat({})).aggregates?.disksWithoutHeat === 0, {
    timeoutMs: 10_000,
  });
}, 60_000);
afterAll(() => cleanup.run());

describe('the placement process over the local cluster fleet', () => {
  it(`reads the fleet of deploy/local/cluster.yaml: ${FLEET.length} disks, ${k}+${m}`, async () => {
    expect(FLEET.length).toBe(27);
    const listed = await client.listDisks({});
    expect(listed.disks.length).toBe(FLEET.length);
    expect(listed.disks.every((d) => d.state === commonV1.DiskState.ACTIVE && d.leaseAlive)).toBe(true);
  });

  it('(a) spreads 10,000 allocations within ±15% of the mean per disk', async () => {
    const counts = await allocateMany(10_000);
    const avg = mean([...counts.values()]);
    expect(avg).toBeCloseTo((10_000 * (k + m)) / FLEET.length, 5);
    for (const [id, n] of counts) {
      expect(n, id).toBeGreaterThanOrEqual(0.85 * avg);
      expect(n, id).toBeLessThanOrEqual(1.15 * avg);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const ok = metrics.split('\n').find((l) => l.startsWith('platter_placement_allocations_total{result="ok"'));
    expect(Number(ok?.split(' ').at(-1))).toBeGreaterThanOrEqual(10_000);
    expect(metrics).toMatch(/^platter_placement_fill_max_over_mean_ratio\S* 1$/m);
    expect(metrics).toMatch(/^platter_placement_allocation_duration_seconds_count\S* \d+/m);
  });

  it('(b) gives nothing new to a disk set draining through SetDiskState', async () => {
    const diskId = FLEET[0]!.diskId;
    const res = await client.setDiskState({ diskId, state: commonV1.DiskState.DRAINING, reason: 'it: drain' });
    expect(res.changed).toBe(true);
    await waitForDiskState(client, diskId, commonV1.DiskState.DRAINING);
    const counts = await allocateMany(2_000);
    expect(counts.get(diskId)).toBe(0);
    // Its host-mates took its share; nothing else changed.
    expect(mean([...counts.values()])).toBeCloseTo((2_000 * (k + m)) / FLEET.length, 5);
    await client.setDiskState({ diskId, state: commonV1.DiskState.ACTIVE, reason: 'it: undrain' });
    await waitForDiskState(client, diskId, commonV1.DiskState.ACTIVE);
  });

  it('(c) gives a disk whose heat was raised in Redis clearly fewer new shards', async () => {
    const hot = FLEET[13]!.diskId;
    queueDepth.set(hot, 16);
    await waitFor(
      'the hot sample to reach the view',
      async () => {
        const rows = (await client.getFleetHeat({ pageSize: 1 })).disks;
        return rows[0]?.disk?.diskId === hot && rows[0].heat > 1;
      },
      { timeoutMs: 5_000 },
    );
    const counts = await allocateMany(3_000);
    const others = mean([...counts].filter(([id]) => id !== hot).map(([, n]) => n));
    expect(counts.get(hot)).toBeLessThan(0.6 * others);
    queueDepth.delete(hot);
  });

  it('(d) with autoActivateJoining, the leader activates a joining disk whose node is live', async () => {
    const joining: SeedDisk = { ...FLEET[26]!, diskId: 'host-c3-d4', state: 'joining' };
    const lease = await seedInventory(etcd, keyspace, [joining]);
    cleanup.add(() => lease.revoke());
    await waitForDiskState(client, joining.diskId, commonV1.DiskState.ACTIVE);
    const listed = (await client.listDisks({ diskIds: [joining.diskId] })).disks[0]!;
    expect(listed.stateEpoch).toBe(2n);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(metrics).toMatch(/^platter_placement_is_leader\S* 1$/m);
    expect(metrics).toMatch(/^platter_placement_auto_activations_total\S* 1$/m);
  });
});
