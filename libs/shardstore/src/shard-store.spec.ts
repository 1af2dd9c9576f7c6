import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CorruptionError,
  DiskFailedError,
  DiskFullError,
  DiskIdentityError,
  InvalidArgumentError,
  ShardExistsError,
  ShardNotFoundError,
  StoreClosedError,
} from './errors.js';
import { FaultInjector } from './io/fault-injector.js';
import { ShardStore } from './shard-store.js';
import type { ShardStoreOptions } from './shard-store-options.js';
import { chunked, makeTempDir, patternBytes } from './testing/temp-dir.js';

// Real files and LMDB. G1 (acknowledged writes survive a reopen), G3 (never
// wrong bytes), G4 (typed errors).

let tmp: { dir: string; remove: () => Promise<void> };
const open: ShardStore[] = [];

async function openStore(extra: Partial<ShardStoreOptions> = {}): Promise<ShardStore> {
  const s = await ShardStore.open({
    dir: tmp.dir,
    clusterId: 'c1',
    blockSizeBytes: 4096,
    extentSizeBytes: 64 * 1024,
    reserveFreeBytes: 0,
    ...extra,
  });
  open.push(s);
  return s;
}

beforeEach(async () => {
  tmp = await makeTempDir('shardstore-spec');
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  await tmp.remove();
});

describe('ShardStore on real files and LMDB', () => {
  it('lends each streamed chunk a pooled buffer of its own until it is released, once', async () => {
    const s = await openStore();
    const a = patternBytes(3, 6 * 4096);
    await s.put('a', a);
    const first = await s.getStream('a', {}, { lendBuffers: true });
    const held: Buffer[] = [];
    for await (const c of first.chunks) held.push(c);
    // Nothing released yet, so nothing was reused: every chunk still holds its own bytes.
    expect(new Set(held.map((c) => c.buffer)).size).toBe(6);
    expect(Buffer.concat(held)).toEqual(a);
    for (const c of held) {
      first.release(c);
      first.release(c); // a second release must not put the buffer in the pool twice
    }
    const second = await s.getStream('a', {}, { lendBuffers: true });
    const again: Buffer[] = [];
    for await (const c of second.chunks) again.push(c);
    const reused = new Set(again.map((c) => c.buffer));
    expect(reused.size).toBe(6);
    expect([...reused].every((b) => held.some((c) => c.buffer === b))).toBe(true);
    expect(Buffer.concat(again)).toEqual(a);
  });

  it('puts, reads ranges, lists, deletes and keeps it all across a reopen', async () => {
    const s = await openStore();
    const a = patternBytes(1, 10_000);
    const b = patternBytes(2, 4096);
    const info = await s.put('a', a);
    expect(info).toMatchObject({ shardId: 'a', state: 'live', length: 10_000, blockSize: 4096 });
    expect(info.blockCrcs).toHaveLength(3);
    await s.put('b', chunked(b, [1, 7, 4000, 100]), { expectedLength: b.length });
    await s.put('empty', new Uint8Array(0));
    expect(await s.get('a')).toEqual(a);
    expect(await s.get('a', { offset: 4095, length: 2 })).toEqual(a.subarray(4095, 4097));
    expect(await s.get('a', { offset: 9_999 })).toEqual(a.subarray(9_999));
    expect(await s.get('b')).toEqual(b);
    expect((await s.get('empty')).length).toBe(0);
    const stream = await s.getStream('a', { offset: 100, length: 9_000 });
    const parts: Buffer[] = [];
    for await (const c of stream.chunks) parts.push(c);
    expect(Buffer.concat(parts)).toEqual(a.subarray(100, 9_100));

    expect((await s.list()).shards.map((x) => x.shardId)).toEqual(['a', 'b', 'empty']);
    const page1 = await s.list({ limit: 2 });
    expect(page1.shards.map((x) => x.shardId)).toEqual(['a', 'b']);
    expect((await s.list({ after: page1.nextAfter!, limit: 2 })).shards.map((x) => x.shardId)).toEqual(['empty']);

    await s.delete('b');
    await expect(s.get('b')).rejects.toBeInstanceOf(ShardNotFoundError);
    await expect(s.delete('b')).rejects.toBeInstanceOf(ShardNotFoundError);
    expect((await s.list({ includeDeleted: true })).shards.find((x) => x.shardId === 'b')?.state).toBe('deleted');
    const uuid = s.identity.diskUuid;
    await s.close();

    const r = await openStore();
    expect(r.identity.diskUuid).toBe(uuid);
    expect(r.identity.formattedNow).toBe(false);
    expect(await r.get('a')).toEqual(a);
    await expect(r.get('b')).rejects.toBeInstanceOf(ShardNotFoundError);
    expect((await r.verify()).damaged).toEqual([]);
  });

  it('treats an identical second put as done and a different one as a conflict', async () => {
    const s = await openStore();
    const a = patternBytes(3, 5000);
    await s.put('x', a);
    await expect(s.put('x', a)).resolves.toMatchObject({ length: 5000 });
    await expect(s.put('x', patternBytes(4, 5000))).rejects.toBeInstanceOf(ShardExistsError);
    await expect(s.put('x', patternBytes(4, 10))).rejects.toBeInstanceOf(ShardExistsError);
    // A deleted id may be written again.
    await s.delete('x');
    await s.put('x', patternBytes(4, 10));
    expect(await s.get('x')).toEqual(patternBytes(4, 10));
  });

  it('rejects bad arguments with InvalidArgumentError and leaves nothing behind', async () => {
    const s = await openStore();
    await expect(s.put('', new Uint8Array(1))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.put('x'.repeat(300), new Uint8Array(1))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.put('s', chunked(patternBytes(5, 100), [10]))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.put('s', chunked(patternBytes(5, 100), [10]), { expectedLength: 99 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(s.put('s', chunked(patternBytes(5, 100), [10]), { expectedLength: 101 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await s.put('t', patternBytes(6, 100));
    await expect(s.get('t', { offset: 50, length: 51 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.get('t', { offset: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.get('s')).rejects.toBeInstanceOf(ShardNotFoundError);
    expect((await s.list()).shards.map((x) => x.shardId)).toEqual(['t']);
  });

  it('passes a failing stream through as the put error', async () => {
    const s = await openStore();
    const boom = new Error('client went away');
    async function* source(): AsyncGenerator<Uint8Array> {
      yield patternBytes(7, 5000);
      throw boom;
    }
    await expect(s.put('p', source(), { expectedLength: 10_000 })).rejects.toBe(boom);
    await expect(s.get('p')).rejects.toBeInstanceOf(ShardNotFoundError);
    expect(s.failed).toBe(false);
  });

  it('group-commits concurrent writers into few batches', async () => {
    const s = await openStore({ extentSizeBytes: 2 ** 20 });
    const before = (await s.stats()).groupCommit.batches;
    await Promise.all(Array.from({ length: 32 }, (_, i) => s.put(`g${i}`, patternBytes(i, 4096))));
    const st = await s.stats();
    expect(st.groupCommit.batches - before).toBeLessThan(16);
    expect(st.liveShards).toBe(32);
    // Small records need no fdatasync: their durable writes are the flush, and are what the stats time.
    expect(st.ops.durableWrite?.count).toBeGreaterThanOrEqual(1);
    expect(st.ops.durableWrite?.bytes).toBeGreaterThanOrEqual(32 * 4096);
    for (let i = 0; i < 32; i++) expect(await s.get(`g${i}`)).toEqual(patternBytes(i, 4096));
  });

  it('closes only once every operation in flight is answered, then refuses new ones', async () => {
    const faults = new FaultInjector(5);
    const s = await openStore({ faults });
    for (let i = 0; i < 4; i++) await s.put(`before-${i}`, patternBytes(i, 5000));
    // Reads held back in the I/O layer: close must wait for them, not close their files under them.
    faults.add({ ops: ['read'], pathIncludes: 'extents', delayMs: 200 });
    const gets = Array.from({ length: 4 }, (_, i) => s.get(`before-${i}`));
    // Buffers go out in one write each; every fourth put is streamed, block by block.
    const sizeOf = (i: number) => (i % 4 === 0 ? 3 * 4096 : 100 + i);
    const puts = Array.from({ length: 24 }, (_, i) => {
      const data = patternBytes(i, sizeOf(i));
      return i % 4 === 0
        ? s.put(`in-flight-${i}`, chunked(data, [4096]), { expectedLength: data.length })
        : s.put(`in-flight-${i}`, data);
    });
    const ops: Array<Promise<unknown>> = [...gets, ...puts];
    let answered = 0;
    for (const p of ops)
      void p.then(
        () => answered++,
        () => answered++,
      );
    await s.close();
    expect(answered).toBe(ops.length);
    for (let i = 0; i < gets.length; i++) expect(await gets[i]).toEqual(patternBytes(i, 5000));
    await Promise.all(puts); // every one of them succeeded
    await expect(s.put('late', patternBytes(1, 10))).rejects.toBeInstanceOf(StoreClosedError);
    const again = await openStore();
    for (let i = 0; i < puts.length; i++) expect(await again.get(`in-flight-${i}`)).toEqual(patternBytes(i, sizeOf(i)));
  });

  it('acknowledges no record before the writes of the records ahead of it in the extent finish', async () => {
    // 32 records of 4 KiB go out as several writes (the coalescer starts one
    // per 64 KiB queued); the first of them is held back, so the later writes
    // finish first. A record is acknowledged only once every record before it
    // is on disk — else a crash could leave it past a hole no scan crosses.
    const faults = new FaultInjector(3);
    const s = await openStore({ extentSizeBytes: 2 ** 20, faults });
    await s.put('warm', patternBytes(0, 10));
    const held = 300;
    faults.add({ ops: ['write'], pathIncludes: 'extents', delayMs: held, times: 1 });
    faults.add({ ops: ['write'], pathIncludes: 'extents' }); // counts the writes
    const firedBefore = faults.fired;
    const t0 = performance.now();
    const acked = await Promise.all(
      Array.from({ length: 32 }, (_, i) => s.put(`o${i}`, patternBytes(i, 4096)).then(() => performance.now() - t0)),
    );
    const writes = faults.fired - firedBefore - 1; // the held write fired both rules
    expect(writes).toBeGreaterThanOrEqual(2);
    // Timers may fire up to a millisecond early.
    expect(Math.min(...acked)).toBeGreaterThanOrEqual(held - 2);
    for (let i = 0; i < 32; i++) expect(await s.get(`o${i}`)).toEqual(patternBytes(i, 4096));
  });

  it('rolls extents over and compacts mostly-dead ones, keeping live data', async () => {
    const s = await openStore({ extentSizeBytes: 16 * 1024 });
    for (let i = 0; i < 40; i++) await s.put(`k${String(i).padStart(2, '0')}`, patternBytes(i, 3000));
    const extentsDir = path.join(tmp.dir, 'extents');
    const before = await fs.readdir(extentsDir);
    expect(before.length).toBeGreaterThan(5);
    for (let i = 0; i < 40; i++) if (i % 4 !== 0) await s.delete(`k${String(i).padStart(2, '0')}`);
    const report = await s.compact();
    expect(report.extentsRemoved).toBeGreaterThan(3);
    expect(report.recordsCopied).toBeGreaterThan(0);
    const after = await fs.readdir(extentsDir);
    expect(after.length).toBeLessThan(before.length);
    for (let i = 0; i < 40; i += 4)
      expect(await s.get(`k${String(i).padStart(2, '0')}`)).toEqual(patternBytes(i, 3000));
    await s.close();
    const r = await openStore({ extentSizeBytes: 16 * 1024 });
    for (let i = 0; i < 40; i += 4)
      expect(await r.get(`k${String(i).padStart(2, '0')}`)).toEqual(patternBytes(i, 3000));
    expect(r.recovery.orphanExtentsRemoved).toBe(0);
    expect((await r.verify()).damaged).toEqual([]);
  });

  it('fails the disk on a failed fsync, never retrying, and recovers acknowledged data on reopen', async () => {
    const faults = new FaultInjector(7);
    const s = await openStore({ faults });
    await s.put('ok', patternBytes(8, 5000));
    faults.add({ ops: ['sync'], pathIncludes: 'extents', fail: 'EIO', times: 1 });
    await expect(s.put('bad', patternBytes(9, 5000))).rejects.toBeInstanceOf(DiskFailedError);
    expect(s.failed).toBe(true);
    await expect(s.get('ok')).rejects.toBeInstanceOf(DiskFailedError);
    await expect(s.put('later', patternBytes(10, 10))).rejects.toBeInstanceOf(DiskFailedError);
    await s.close();
    const r = await openStore();
    expect(await r.get('ok')).toEqual(patternBytes(8, 5000));
    await expect(r.get('bad')).rejects.toBeInstanceOf(ShardNotFoundError);
  });

  it('answers a full disk with DiskFullError, keeps serving reads, and writes again once space returns', async () => {
    const faults = new FaultInjector(7);
    const s = await openStore({ faults });
    await s.put('ok', patternBytes(11, 5000));
    const rule = faults.add({ ops: ['write'], pathIncludes: 'extents', fail: 'ENOSPC' });
    await expect(s.put('big', patternBytes(12, 9000))).rejects.toBeInstanceOf(DiskFullError);
    expect(s.failed).toBe(false);
    expect(await s.get('ok')).toEqual(patternBytes(11, 5000));
    faults.remove(rule);
    await s.put('after', patternBytes(13, 100));
    expect(await s.get('after')).toEqual(patternBytes(13, 100));
    await expect(s.get('big')).rejects.toBeInstanceOf(ShardNotFoundError);
  });

  it('refuses a free-space shortfall up front', async () => {
    const s = await openStore({ reserveFreeBytes: Number.MAX_SAFE_INTEGER / 2 });
    await expect(s.put('x', patternBytes(1, 10))).rejects.toBeInstanceOf(DiskFullError);
  });

  it('reports corruption found by a faulty read as CorruptionError', async () => {
    const faults = new FaultInjector(3);
    const s = await openStore({ faults });
    await s.put('c', patternBytes(14, 12_000));
    faults.add({ ops: ['read'], pathIncludes: 'extents', corrupt: true, times: 1 });
    await expect(s.get('c')).rejects.toBeInstanceOf(CorruptionError);
    expect(await s.get('c')).toEqual(patternBytes(14, 12_000));
  });
});

describe('disk identity', () => {
  it('formats an empty directory as a new disk, and a new empty directory as another new disk', async () => {
    const s = await openStore();
    expect(s.identity.formattedNow).toBe(true);
    const uuid = s.identity.diskUuid;
    await s.close();
    await tmp.remove();
    await fs.mkdir(tmp.dir);
    const t = await openStore();
    expect(t.identity.formattedNow).toBe(true);
    expect(t.identity.diskUuid).not.toBe(uuid);
  });

  it('refuses another cluster, an unexpected UUID and a non-empty directory without a superblock', async () => {
    const s = await openStore();
    const uuid = s.identity.diskUuid;
    await s.put('x', patternBytes(1, 10));
    await s.close();
    await expect(openStore({ clusterId: 'other' })).rejects.toBeInstanceOf(DiskIdentityError);
    await expect(openStore({ expectDiskUuid: '00000000-0000-0000-0000-000000000000' })).rejects.toBeInstanceOf(
      DiskIdentityError,
    );
    expect((await openStore({ expectDiskUuid: uuid })).identity.diskUuid).toBe(uuid);
    for (const st of open.splice(0)) await st.close();

    const other = await makeTempDir('shardstore-foreign');
    try {
      await fs.writeFile(path.join(other.dir, 'somebody-elses-file'), 'keep me');
      await expect(ShardStore.open({ dir: other.dir, clusterId: 'c1' })).rejects.toBeInstanceOf(DiskIdentityError);
      expect(await fs.readFile(path.join(other.dir, 'somebody-elses-file'), 'utf8')).toBe('keep me');
    } finally {
      await other.remove();
    }
  });

  it('reformats another cluster’s disk only when asked, as a new disk', async () => {
    const s = await openStore({ clusterId: 'old' });
    await s.put('x', patternBytes(1, 10));
    const uuid = s.identity.diskUuid;
    await s.close();
    const r = await openStore({ clusterId: 'c1', onForeignDisk: 'reformat' });
    expect(r.identity.diskUuid).not.toBe(uuid);
    await expect(r.get('x')).rejects.toBeInstanceOf(ShardNotFoundError);
  });

  it('refuses to serve when the index is gone but extents remain', async () => {
    const s = await openStore();
    await s.put('x', patternBytes(1, 10));
    await s.close();
    await fs.rm(path.join(tmp.dir, 'index'), { recursive: true });
    await fs.mkdir(path.join(tmp.dir, 'index'));
    await expect(openStore()).rejects.toBeInstanceOf(DiskFailedError);
  });
});
