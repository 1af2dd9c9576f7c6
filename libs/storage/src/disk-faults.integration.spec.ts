// Injected disk faults for real: `node apps/storage/dist/main.js` (built) with
// two disks, one whose extent reads are delayed and one whose extent reads
// fail, configured through PLATTER_DISK_FAULTS, over real gRPC and etcd. The
// delay and the failure happen on GetShard and not on PutShard; the node
// says so in its log and metrics; SIGUSR2 switches the faults off. Also: the
// disk state epoch in GetDiskInfo is the etcd version of the disk record.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectEtcd,
  defaultClusterConfig,
  DiskRecordCodec,
  ensureClusterConfig,
  Keyspace,
  type Etcd3,
} from '@platter/cluster';
import { commonV1, storageV1 } from '@platter/proto';
import { Code, createRpcClient } from '@platter/rpc';
import {
  Cleanup,
  freePort,
  startEtcd,
  startProcess,
  waitFor,
  type EtcdHandle,
  type ProcessHandle,
} from '@platter/testkit';
import { newShardId, putStream, readShard, type StorageClient } from './testing/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'apps', 'storage', 'dist', 'main.js');
const SLOW = 'flt-slow';
const BROKEN = 'flt-broken';
/** Per extent read on SLOW, ms: far above a healthy read, and the lower bound a GET on it must take. */
const DELAY_MS = 1_500;
const BLOCK = 64 * 1024;

const cleanup = new Cleanup();
const keyspace = new Keyspace();
let etcdServer: EtcdHandle;
let etcd: Etcd3;
let dataDir: string;
let adminPort: number;
let proc: ProcessHandle;
let client: StorageClient;

async function metric(name: string, disk: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`disk="${disk}"`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function diskInfo(diskId: string): Promise<storageV1.DiskInfo> {
  const info = (await client.getDiskInfo({ diskIds: [diskId] })).disks[0];
  if (info === undefined) throw new Error(`no DiskInfo for ${diskId}`);
  return info;
}

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b apps/storage)`);
  etcdServer = await startEtcd();
  cleanup.add(() => etcdServer.destroy());
  etcd = connectEtcd(etcdServer.endpoints);
  cleanup.add(() => etcd.close());
  await ensureClusterConfig(etcd, keyspace, defaultClusterConfig({ blockSizeBytes: BLOCK }));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'platter-storage-faults-'));
  cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
  const grpcPort = await freePort();
  adminPort = await freePort();
  proc = await startProcess({
    name: 'storage-faults',
    command: process.execPath,
    args: [MAIN],
    env: {
      PLATTER_ID: 'storage-faults',
      PLATTER_ETCD_ENDPOINTS: etcdServer.clientUrl,
      PLATTER_GRPC_PORT: String(grpcPort),
      PLATTER_ADMIN_PORT: String(adminPort),
      PLATTER_LEASE_TTL_SECONDS: '3',
      PLATTER_SHUTDOWN_GRACE_MS: '3000',
      PLATTER_COMPACTION_INTERVAL_MS: '0',
      PLATTER_LOG_LEVEL: 'warn',
      PLATTER_DISKS: JSON.stringify([SLOW, BROKEN].map((id) => ({ id, path: path.join(dataDir, id) }))),
      PLATTER_DISK_FAULTS: JSON.stringify({
        [SLOW]: [{ ops: ['read'], pathIncludes: 'extents', delayMs: DELAY_MS }],
        [BROKEN]: [{ ops: ['read'], pathIncludes: 'extents', fail: 'EIO' }],
      }),
    },
    readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
    readyTimeoutMs: 30_000,
  });
  cleanup.add(() => proc.stop(5_000));
  client = createRpcClient(storageV1.StorageService, `127.0.0.1:${grpcPort}`, { defaultTimeoutMs: 15_000 });
  cleanup.add(() => client.close());
}, 60_000);
afterAll(() => cleanup.run(), 30_000);

describe('injected disk faults (PLATTER_DISK_FAULTS) in the storage process', () => {
  const shards = new Map<string, { id: string; data: Buffer }>(
    [SLOW, BROKEN].map((d) => [d, { id: newShardId(), data: randomBytes(BLOCK - 123) }]),
  );

  it('warns at start and exports the rules per disk', async () => {
    expect(proc.lastLines().join('\n')).toContain('INJECTED DISK FAULTS ARE ON');
    expect(await metric('platter_storage_fault_rules', SLOW)).toBe(1);
    expect(await metric('platter_storage_fault_rules', BROKEN)).toBe(1);
    expect(await metric('platter_storage_fault_injections_total', SLOW)).toBe(0);
  });

  it("reports the disk record's etcd version as the state epoch, and follows a change", async () => {
    await waitFor('both disk records', async () => (await etcd.get(keyspace.disk(BROKEN)).exec()).kvs.length > 0, {
      timeoutMs: 10_000,
    });
    // Created once by the node: version 1.
    expect(await diskInfo(SLOW)).toMatchObject({ state: commonV1.DiskState.JOINING, stateEpoch: 1n });
    for (const id of [SLOW, BROKEN]) {
      const key = keyspace.disk(id);
      const rec = DiskRecordCodec.decode((await etcd.get(key).exec()).kvs[0]!.value, key);
      await etcd
        .put(key)
        .value(DiskRecordCodec.encode({ ...rec, state: 'active', updatedAt: new Date().toISOString() }));
    }
    const versionNow = BigInt((await etcd.get(keyspace.disk(SLOW)).exec()).kvs[0]!.version);
    expect(versionNow).toBe(2n);
    await waitFor(
      'the node to see the activation with its epoch',
      async () => {
        const d = await diskInfo(SLOW);
        return d.state === commonV1.DiskState.ACTIVE && d.stateEpoch === versionNow;
      },
      { timeoutMs: 10_000 },
    );
  });

  it('does not slow or fail writes: puts on both disks inject nothing', async () => {
    for (const [diskId, s] of shards) {
      const header = { diskId, shardId: s.id, totalLength: BigInt(s.data.byteLength), blockSize: BLOCK };
      const res = await client.putShard(putStream(header, s.data));
      expect(res.length).toBe(BigInt(s.data.byteLength));
    }
    expect(await metric('platter_storage_fault_injections_total', SLOW)).toBe(0);
    expect(await metric('platter_storage_fault_injections_total', BROKEN)).toBe(0);
  });

  it('delays every shard read on the slow disk by the configured time, bytes intact', async () => {
    const s = shards.get(SLOW)!;
    const t0 = performance.now();
    const read = await readShard(client, { diskId: SLOW, shardId: s.id });
    const took = performance.now() - t0;
    expect(read.error).toBeUndefined();
    expect(read.data.equals(s.data)).toBe(true);
    expect(took).toBeGreaterThanOrEqual(DELAY_MS);
    expect(await metric('platter_storage_fault_injections_total', SLOW)).toBeGreaterThanOrEqual(1);
  });

  it('fails shard reads on the broken disk with UNAVAILABLE, as a device read error', async () => {
    const s = shards.get(BROKEN)!;
    const read = await readShard(client, { diskId: BROKEN, shardId: s.id });
    expect(read.error?.code).toBe(Code.UNAVAILABLE);
    expect(read.data.byteLength).toBe(0);
    expect(await metric('platter_storage_fault_injections_total', BROKEN)).toBeGreaterThanOrEqual(1);
  });

  it('SIGUSR2 switches the faults off: reads are plain again and the gauge says 0', async () => {
    proc.kill('SIGUSR2');
    await waitFor(
      'the rules to be switched off',
      async () => (await metric('platter_storage_fault_rules', SLOW)) === 0,
      {
        timeoutMs: 10_000,
      },
    );
    expect(await metric('platter_storage_fault_rules', BROKEN)).toBe(0);
    const injected = await metric('platter_storage_fault_injections_total', SLOW);
    for (const [diskId, s] of shards) {
      const read = await readShard(client, { diskId, shardId: s.id });
      expect(read.error, diskId).toBeUndefined();
      expect(read.data.equals(s.data), diskId).toBe(true);
    }
    expect(await metric('platter_storage_fault_injections_total', SLOW)).toBe(injected);
    expect(proc.running).toBe(true);
  });
});
