// The real StorageService, in process, over real gRPC on loopback, on real
// ShardStores in temp dirs, passes the provider suite of its contract (G3:
// never wrong bytes; G4: definite errors). Plus what the suite cannot say for
// every implementation: a disk whose write path fails is taken out of service
// without taking the process down.
import { randomBytes } from 'node:crypto';
import { commonV1 } from '@platter/proto';
import { Code } from '@platter/rpc';
import { FaultInjector } from '@platter/shardstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readErrorDetail } from '@platter/rpc';
import { registerStorageMetrics } from './storage-metrics.js';
import {
  corruptStoredBytes,
  describeStorageContract,
  newShardId,
  putStream,
  readShard,
  rpcFailure,
  startInProcessStorage,
  type InProcessStorage,
} from './testing/index.js';

describeStorageContract('the real server over loopback', async () => {
  const s = await startInProcessStorage({ diskIds: ['disk-a', 'disk-b'] });
  return {
    client: s.client,
    diskId: 'disk-a',
    blockSize: 1024 * 1024,
    corruptBlock: (diskId, _shardId, _block, bytes) => corruptStoredBytes(s.dirs.get(diskId)!, bytes),
    setDiskState: async (diskId, state) => s.states.set(diskId, state),
    teardown: () => s.stop(),
  };
});

describe('a disk whose write path fails', () => {
  const faults = new FaultInjector(7);
  let s: InProcessStorage;
  const BS = 64 * 1024;

  beforeAll(async () => {
    s = await startInProcessStorage({ diskIds: ['good', 'bad'], blockSizeBytes: BS, storeOptions: { faults } });
    registerStorageMetrics(s.registry, { disks: s.disks });
  });
  afterAll(() => s.stop());

  it('is taken out of service (writes FAILED_PRECONDITION, reads UNAVAILABLE) while the other disk and the process go on', async () => {
    const header = (diskId: string, shardId: string, length: number) => ({
      diskId,
      shardId,
      totalLength: BigInt(length),
      blockSize: BS,
    });
    const kept = newShardId();
    const data = randomBytes(BS);
    await s.client.putShard(putStream(header('bad', kept, data.byteLength), data));

    // Every fdatasync on the bad disk fails from now on: the engine must not pretend.
    faults.add({ ops: ['sync'], pathIncludes: `${s.dirs.get('bad')}/`, fail: 'EIO' });
    const first = await rpcFailure(() =>
      s.client.putShard(putStream(header('bad', newShardId(), 10), randomBytes(10))),
    );
    expect([Code.FAILED_PRECONDITION, Code.UNAVAILABLE]).toContain(first.code);
    expect(s.disks.get('bad')!.failed).toBe(true);

    const next = await rpcFailure(() => s.client.putShard(putStream(header('bad', newShardId(), 10), randomBytes(10))));
    expect(next.code).toBe(Code.FAILED_PRECONDITION);
    expect(readErrorDetail(next)?.reason).toBe(commonV1.ErrorReason.DISK_NOT_WRITABLE);
    expect((await readShard(s.client, { diskId: 'bad', shardId: kept })).error?.code).toBe(Code.UNAVAILABLE);
    expect((await rpcFailure(() => s.client.statShard({ diskId: 'bad', shardId: kept }))).code).toBe(Code.UNAVAILABLE);
    const info = (await s.client.getDiskInfo({ diskIds: ['bad'] })).disks[0];
    expect(info?.readOnly).toBe(true);

    const other = newShardId();
    await s.client.putShard(putStream(header('good', other, 10), randomBytes(10)));
    expect((await s.client.statShard({ diskId: 'good', shardId: other })).shard?.length).toBe(10n);

    const text = await s.registry.metrics();
    expect(text).toMatch(/platter_shardstore_failed\{disk="bad"\} 1/);
    expect(text).toMatch(/platter_shardstore_failed\{disk="good"\} 0/);
  });
});

describe('per-disk metrics', () => {
  let s: InProcessStorage;

  beforeAll(async () => {
    s = await startInProcessStorage({ diskIds: ['m1'], blockSizeBytes: 64 * 1024 });
    registerStorageMetrics(s.registry, { disks: s.disks, heat: { published: 3, failed: 1 } });
  });
  afterAll(() => s.stop());

  it('exports bytes, ops, latency and fsync histograms, queue depth and corruptions labelled by disk, never by shard', async () => {
    const id = newShardId();
    const data = randomBytes(100_000);
    await s.client.putShard(
      putStream({ diskId: 'm1', shardId: id, totalLength: BigInt(data.byteLength), blockSize: 64 * 1024 }, data),
    );
    expect((await readShard(s.client, { diskId: 'm1', shardId: id })).data.equals(data)).toBe(true);
    await corruptStoredBytes(s.dirs.get('m1')!, data.subarray(0, 64 * 1024));
    expect((await readShard(s.client, { diskId: 'm1', shardId: id })).error?.code).toBe(Code.DATA_LOSS);

    const text = await s.registry.metrics();
    expect(text).toMatch(/platter_shardstore_bytes_total\{disk="m1",op="put"\} 100000/);
    expect(text).toMatch(/platter_shardstore_operations_total\{disk="m1",op="put",result="ok"\} 1/);
    expect(text).toMatch(/platter_shardstore_operation_seconds_bucket\{disk="m1",op="get",le="\+Inf"\} \d+/);
    expect(text).toMatch(/platter_shardstore_fsync_seconds_count\{disk="m1"\} [1-9]/);
    // The put's first write (its record's start) is a durable write.
    expect(text).toMatch(/platter_shardstore_durable_write_seconds_count\{disk="m1"\} [1-9]/);
    expect(text).toMatch(/platter_storage_queue_depth\{disk="m1"\} 0/);
    expect(text).toMatch(/platter_storage_corruptions_total\{disk="m1"\} 1/);
    expect(text).toMatch(/platter_storage_rpc_bytes_total\{disk="m1",direction="received"\} 100000/);
    expect(text).toMatch(/platter_storage_heat_publications_total\{result="error"\} 1/);
    expect(text).not.toContain(id);
  });
});

describe('streaming without buffering a shard', () => {
  let s: InProcessStorage;
  const MiB = 1024 * 1024;
  const SHARD_MIB = 192;
  // Allowed RSS growth while the shard goes in and comes back out, bytes:
  // far below the shard, so neither side can have held it whole.
  const RSS_BUDGET_BYTES = 128 * MiB;

  beforeAll(async () => {
    s = await startInProcessStorage({ diskIds: ['big'] });
  });
  afterAll(() => s.stop());

  it(`puts and gets a ${SHARD_MIB} MiB shard with bounded memory, intact`, async () => {
    const pool = Array.from({ length: 4 }, (_, i) => Buffer.alloc(MiB, i + 1));
    const id = newShardId();
    async function* body(): AsyncGenerator<{
      payload: { case: 'header'; value: object } | { case: 'data'; value: Buffer };
    }> {
      yield {
        payload: {
          case: 'header',
          value: { diskId: 'big', shardId: id, totalLength: BigInt(SHARD_MIB * MiB), blockSize: MiB },
        },
      };
      for (let i = 0; i < SHARD_MIB; i++) yield { payload: { case: 'data', value: pool[i % pool.length]! } };
    }
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    let received = 0;
    let mismatches = 0;
    try {
      const res = await s.client.putShard(body() as AsyncIterable<never>);
      expect(res.length).toBe(BigInt(SHARD_MIB * MiB));
      for await (const m of s.client.getShard({ diskId: 'big', shardId: id })) {
        const block = Number(m.offset / BigInt(MiB));
        if (
          m.data.byteLength !== MiB ||
          m.data[0] !== (block % pool.length) + 1 ||
          m.data[MiB - 1] !== (block % pool.length) + 1
        )
          mismatches++;
        received += m.data.byteLength;
      }
    } finally {
      clearInterval(sampler);
    }
    expect(mismatches).toBe(0);
    expect(received).toBe(SHARD_MIB * MiB);
    expect(peak - baseline).toBeLessThan(RSS_BUDGET_BYTES);
  });
});
