// The storage process for real: `node apps/storage/dist/main.js` (built) with
// two disks, against a real etcd and Redis. It registers its disks in the
// inventory (persistent record, lease-bound live key), publishes heat every
// second, serves gRPC, exports per-disk metrics, keeps serving when Redis is
// gone, and after SIGKILL its live keys expire while the records stay; a
// restart finds the same disks (superblock UUIDs). (G1 for acknowledged
// shards across a kill; G4: nothing hangs; static stability without Redis.)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectEtcd,
  defaultClusterConfig,
  DiskLiveRecordCodec,
  DiskRecordCodec,
  ensureClusterConfig,
  Keyspace,
  type DiskRecord,
  type Etcd3,
} from '@platter/cluster';
import { connectRedis, HeatReader, redisReady, type Redis } from '@platter/heat';
import { commonV1, storageV1 } from '@platter/proto';
import { Code, createRpcClient } from '@platter/rpc';
import { createLogger } from '@platter/telemetry';
import {
  Cleanup,
  freePort,
  startEtcd,
  startProcess,
  startRedis,
  waitFor,
  type EtcdHandle,
  type ProcessHandle,
  type RedisHandle,
} from '@platter/testkit';
import { readErrorDetail } from '@platter/rpc';
import { newShardId, putStream, readShard, rpcFailure, type StorageClient } from './testing/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'apps', 'storage', 'dist', 'main.js');
const LEASE_TTL_S = 3;
// A SIGKILLed node's live keys go within the lease TTL plus this: etcd checks
// expiry every 500 ms; 2 s covers that with room on a loaded machine.
const VANISH_BOUND_MS = 2_000;
const DISKS = ['st1-d1', 'st1-d2'];
// Configured on a path that is a regular file: it cannot be opened, and must
// be served as failed without taking the process or the other disks down.
const BAD = 'st1-bad';
const BLOCK = 64 * 1024;

const cleanup = new Cleanup();
const keyspace = new Keyspace();
let etcdServer: EtcdHandle;
let redisServer: RedisHandle;
let etcd: Etcd3;
let redis: Redis;
let dataDir: string;
let grpcPort: number;
let adminPort: number;
let proc: ProcessHandle | undefined;
let client: StorageClient;

async function startNode(): Promise<ProcessHandle> {
  const p = await startProcess({
    name: 'storage-1',
    command: process.execPath,
    args: [MAIN],
    env: {
      PLATTER_ID: 'storage-1',
      PLATTER_ETCD_ENDPOINTS: etcdServer.clientUrl,
      PLATTER_REDIS_URL: redisServer.url,
      PLATTER_GRPC_PORT: String(grpcPort),
      PLATTER_ADMIN_PORT: String(adminPort),
      PLATTER_LEASE_TTL_SECONDS: String(LEASE_TTL_S),
      PLATTER_SHUTDOWN_GRACE_MS: '3000',
      PLATTER_ZONE: 'zone-x',
      PLATTER_RACK: 'rack-7',
      PLATTER_HOST: 'host-3',
      PLATTER_LOG_LEVEL: 'warn',
      PLATTER_DISKS: JSON.stringify([
        ...DISKS.map((id) => ({ id, path: path.join(dataDir, id) })),
        { id: BAD, path: path.join(dataDir, 'not-a-dir') },
      ]),
    },
    readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
    readyTimeoutMs: 30_000,
  });
  cleanup.add(() => p.stop(5_000));
  return p;
}

async function getKv(key: string): Promise<{ value: Buffer; lease: string } | undefined> {
  const res = await etcd.get(key).exec();
  const kv = res.kvs[0];
  return kv === undefined ? undefined : { value: kv.value, lease: kv.lease };
}

async function diskRecord(diskId: string): Promise<DiskRecord | undefined> {
  const kv = await getKv(keyspace.disk(diskId));
  return kv === undefined ? undefined : DiskRecordCodec.decode(kv.value);
}

async function metrics(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  return res.text();
}

function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b apps/storage; npm test does)`);
  [etcdServer, redisServer] = await Promise.all([startEtcd(), startRedis()]);
  cleanup.add(() => etcdServer.destroy());
  cleanup.add(() => redisServer.destroy());
  etcd = connectEtcd(etcdServer.endpoints);
  cleanup.add(() => etcd.close());
  redis = connectRedis(redisServer.url, { logger: createLogger({ service: 'test', level: 'silent' }) });
  cleanup.add(() => redis.disconnect());
  expect(await redisReady(redis, 5_000)).toBe(true);
  await ensureClusterConfig(etcd, keyspace, defaultClusterConfig({ blockSizeBytes: BLOCK }));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'platter-storage-it-'));
  cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dataDir, 'not-a-dir'), 'x');
  [grpcPort, adminPort] = [await freePort(), await freePort()];
  client = createRpcClient(storageV1.StorageService, `127.0.0.1:${grpcPort}`, { defaultTimeoutMs: 10_000 });
  cleanup.add(() => client.close());
});
afterAll(() => cleanup.run());

describe('the storage process', () => {
  const shardId = newShardId();
  const data = randomBytes(3 * BLOCK + 99);
  let uuids: string[] = [];

  it('registers each disk: a persistent record (joining, with its failure domain) and a lease-bound live key', async () => {
    proc = await startNode();
    for (const id of DISKS) {
      await waitFor(`live key of ${id}`, async () => (await getKv(keyspace.diskLive(id))) !== undefined, {
        timeoutMs: 10_000,
      });
      const rec = await diskRecord(id);
      expect(rec).toMatchObject({
        diskId: id,
        nodeId: 'storage-1',
        state: 'joining',
        labels: { zone: 'zone-x', rack: 'rack-7', host: 'host-3' },
      });
      expect(rec!.capacityBytes).toBeGreaterThan(0);
      const live = (await getKv(keyspace.diskLive(id)))!;
      expect(live.lease).not.toBe('0');
      expect(DiskLiveRecordCodec.decode(live.value)).toMatchObject({
        diskId: id,
        nodeId: 'storage-1',
        grpcAddress: `127.0.0.1:${grpcPort}`,
      });
      // What is mounted now: writers name it, so a replaced disk refuses their shards.
      expect(DiskLiveRecordCodec.decode(live.value).diskUuid).toMatch(/^[0-9a-f-]{36}$/);
    }
    // The disk that could not be opened is in the inventory but not live.
    expect((await diskRecord(BAD))?.state).toBe('joining');
    expect(await getKv(keyspace.diskLive(BAD))).toBeUndefined();
  });

  it("publishes each disk's heat to Redis and refreshes it every second", async () => {
    const reader = new HeatReader({ redis });
    await waitFor(
      'heat of both disks',
      async () => [...(await reader.read(DISKS)).values()].every((r) => r.status === 'fresh'),
      { timeoutMs: 10_000 },
    );
    const first = (await reader.read(DISKS)).get(DISKS[0]!);
    if (first?.status !== 'fresh') throw new Error('heat vanished');
    expect(first.heat.state).toBe(commonV1.DiskState.JOINING);
    expect(first.heat.usage?.capacityBytes).toBeGreaterThan(0n);
    const bad = (await reader.read([BAD])).get(BAD);
    expect(bad?.status === 'fresh' && bad.heat.state).toBe(commonV1.DiskState.FAILED);
    const pttl = await redis.pttl(`platter:heat:disk:${DISKS[0]}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
    const t0 = timestampMs(first.heat.sampledAt!);
    await waitFor(
      'a newer heat sample',
      async () => {
        const r = (await reader.read([DISKS[0]!])).get(DISKS[0]!);
        return r?.status === 'fresh' && timestampMs(r.heat.sampledAt!) > t0;
      },
      { timeoutMs: 5_000 },
    );
  });

  it('refuses shards while the disk is joining, then takes them once placement (here: the test) activates it', async () => {
    const header = { diskId: DISKS[0]!, shardId, totalLength: BigInt(data.byteLength), blockSize: BLOCK };
    const refused = await rpcFailure(() => client.putShard(putStream(header, data, { chunkSize: BLOCK })));
    expect(refused.code).toBe(Code.FAILED_PRECONDITION);
    expect(readErrorDetail(refused)?.reason).toBe(commonV1.ErrorReason.DISK_NOT_WRITABLE);
    for (const id of [...DISKS, BAD]) {
      const rec = (await diskRecord(id))!;
      await etcd
        .put(keyspace.disk(id))
        .value(DiskRecordCodec.encode({ ...rec, state: 'active', updatedAt: new Date().toISOString() }));
    }
    await waitFor(
      'the node to see the disk active',
      async () => (await client.getDiskInfo({ diskIds: [DISKS[0]!] })).disks[0]?.state === commonV1.DiskState.ACTIVE,
      { timeoutMs: 5_000 },
    );
    const res = await client.putShard(putStream(header, data, { chunkSize: BLOCK }));
    expect(res.length).toBe(BigInt(data.byteLength));
    const read = await readShard(client, { diskId: DISKS[0]!, shardId });
    expect(read.error).toBeUndefined();
    expect(read.data.equals(data)).toBe(true);
    const info = await client.getDiskInfo({});
    expect(info.disks.map((d) => d.disk?.diskId).sort()).toEqual([...DISKS, BAD].sort());
    expect(info.disks.find((d) => d.disk?.diskId === BAD)).toMatchObject({ readOnly: true, disk: { diskUuid: '' } });
    const onBad = await rpcFailure(() => client.putShard(putStream({ ...header, diskId: BAD }, data)));
    expect(onBad.code).toBe(Code.FAILED_PRECONDITION);
    expect(readErrorDetail(onBad)?.reason).toBe(commonV1.ErrorReason.DISK_NOT_WRITABLE);
    expect((await rpcFailure(() => client.statShard({ diskId: BAD, shardId }))).code).toBe(Code.UNAVAILABLE);
    uuids = DISKS.map((id) => info.disks.find((d) => d.disk?.diskId === id)!.disk!.diskUuid);
    for (const u of uuids) expect(u).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exports per-disk metrics on /metrics', async () => {
    const text = await metrics();
    for (const id of DISKS) {
      expect(metricValue(text, 'platter_shardstore_failed', `disk="${id}"`)).toBe(0);
      expect(metricValue(text, 'platter_storage_queue_depth', `disk="${id}"`)).toBeDefined();
      expect(metricValue(text, 'platter_shardstore_fsync_seconds_count', `disk="${id}"`)).toBeDefined();
      expect(metricValue(text, 'platter_storage_disk_capacity_bytes', `disk="${id}"`)).toBeGreaterThan(0);
    }
    expect(metricValue(text, 'platter_shardstore_failed', `disk="${BAD}"`)).toBe(1);
    expect(metricValue(text, 'platter_shardstore_bytes_total', `disk="${DISKS[0]}",op="put"`)).toBe(data.byteLength);
    expect(metricValue(text, 'platter_storage_rpc_bytes_total', `disk="${DISKS[0]}",direction="sent"`)).toBe(
      data.byteLength,
    );
    expect(metricValue(text, 'platter_storage_heat_publications_total', 'result="ok"')).toBeGreaterThan(0);
    expect(text).not.toContain(shardId);
  });

  it('keeps serving when Redis goes away, and publishes heat again when it returns', async () => {
    await redisServer.stop();
    const before = metricValue(await metrics(), 'platter_storage_heat_publications_total', 'result="error"') ?? 0;
    const id = newShardId();
    const bytes = randomBytes(BLOCK);
    await client.putShard(
      putStream({ diskId: DISKS[1]!, shardId: id, totalLength: BigInt(bytes.byteLength), blockSize: BLOCK }, bytes),
    );
    expect((await readShard(client, { diskId: DISKS[1]!, shardId: id })).data.equals(bytes)).toBe(true);
    await waitFor(
      'failed publications to be counted',
      async () =>
        (metricValue(await metrics(), 'platter_storage_heat_publications_total', 'result="error"') ?? 0) > before,
      { timeoutMs: 5_000 },
    );
    expect(proc?.running).toBe(true);
    await redisServer.start();
    expect(await redisReady(redis, 10_000)).toBe(true);
    const reader = new HeatReader({ redis });
    await waitFor(
      'heat again after Redis returned',
      async () => (await reader.read(DISKS)).get(DISKS[1]!)?.status === 'fresh',
      { timeoutMs: 10_000 },
    );
  });

  it('after SIGKILL: live keys expire with the lease, records stay as placement left them', async () => {
    const killedAt = performance.now();
    proc!.kill('SIGKILL');
    await proc!.exited;
    for (const id of DISKS) {
      await waitFor(`live key of ${id} to expire`, async () => (await getKv(keyspace.diskLive(id))) === undefined, {
        timeoutMs: LEASE_TTL_S * 1000 + VANISH_BOUND_MS,
        intervalMs: 100,
      });
    }
    // Gone right after the kill would mean something other than the lease removed them.
    expect(performance.now() - killedAt).toBeGreaterThan(500);
    for (const id of DISKS) expect((await diskRecord(id))?.state).toBe('active');
  });

  it('a restart finds the same disks (UUIDs from the superblocks), leaves the records alone, and serves the acknowledged shard', async () => {
    proc = await startNode();
    for (const id of DISKS)
      await waitFor(`live key of ${id} again`, async () => (await getKv(keyspace.diskLive(id))) !== undefined, {
        timeoutMs: 10_000,
      });
    const info = await client.getDiskInfo({});
    expect(DISKS.map((id) => info.disks.find((d) => d.disk?.diskId === id)?.disk?.diskUuid)).toEqual(uuids);
    expect(await getKv(keyspace.diskLive(BAD))).toBeUndefined();
    for (const id of DISKS) expect((await diskRecord(id))?.state).toBe('active');
    const read = await readShard(client, { diskId: DISKS[0]!, shardId });
    expect(read.error).toBeUndefined();
    expect(read.data.equals(data)).toBe(true);
  });

  it('on SIGTERM revokes its lease: live keys go at once', async () => {
    await proc!.stop(10_000);
    for (const id of DISKS) expect(await getKv(keyspace.diskLive(id))).toBeUndefined();
    for (const id of DISKS) expect((await diskRecord(id))?.state).toBe('active');
  });
});
