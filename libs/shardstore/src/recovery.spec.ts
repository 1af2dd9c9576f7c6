import { describe, expect, it } from 'vitest';
import { DiskFailedError, ShardNotFoundError } from './errors.js';
import { MemoryIndexDisk } from './index/memory-index-store.js';
import { SimDiskIo } from './io/sim-disk-io.js';
import { ShardStore } from './shard-store.js';
import type { ShardStoreOptions } from './shard-store-options.js';
import { patternBytes } from './testing/temp-dir.js';

// Recovery of the redo log, scenario by scenario, on the simulated disk: the
// index commit is held back (a minute) so that every crash lands between the
// extent syncs that acknowledged writes and the index commit that would
// record them — unless a scenario commits on purpose.

const NO_BACKGROUND_COMMIT = { intervalMs: 60_000 };

class Machine {
  readonly io = new SimDiskIo({ seed: 3 });
  readonly index = new MemoryIndexDisk();

  open(extra: Partial<ShardStoreOptions> = {}): Promise<ShardStore> {
    return ShardStore.open({
      dir: '/disk',
      clusterId: 'c',
      io: this.io.forProcess(),
      index: this.index.open(),
      blockSizeBytes: 16,
      extentSizeBytes: 400,
      reserveFreeBytes: 0,
      indexCommit: NO_BACKGROUND_COMMIT,
      ...extra,
    });
  }

  crash(): void {
    this.io.crash('drop-unsynced');
    this.index.crash();
  }
}

async function* slowSource(data: Buffer, gate: Promise<void>): AsyncGenerator<Uint8Array> {
  yield data.subarray(0, 8);
  await gate;
  yield data.subarray(8);
}

describe('recovery replays the extent log', () => {
  it('rolls acknowledged puts and deletes forward after a crash before any index commit, across extents', async () => {
    const m = new Machine();
    const s = await m.open();
    for (let i = 0; i < 12; i++) await s.put(`k${i}`, patternBytes(i, 40 + i));
    await s.delete('k3');
    await s.delete('k7');
    expect((await s.stats()).index.stagedKeys).toBeGreaterThan(0);
    m.crash();
    const r = await m.open();
    expect(r.recovery.recordsReplayed).toBe(14);
    expect(r.recovery.extentsScanned).toBeGreaterThan(1);
    for (let i = 0; i < 12; i++) {
      if (i === 3 || i === 7) await expect(r.get(`k${i}`)).rejects.toBeInstanceOf(ShardNotFoundError);
      else expect(await r.get(`k${i}`)).toEqual(patternBytes(i, 40 + i));
    }
    // The replay is durable: a second crash right away replays nothing.
    m.crash();
    const again = await m.open();
    expect(again.recovery.recordsReplayed).toBe(0);
    expect(await again.get('k11')).toEqual(patternBytes(11, 51));
    await again.close();
  });

  it('replays the operations on one id in the order they were decided', async () => {
    const m = new Machine();
    const s = await m.open();
    await s.put('x', patternBytes(1, 30));
    // Issued together: they run one after another, in call order.
    await Promise.all([s.delete('x'), s.put('x', patternBytes(2, 50)), s.delete('x'), s.put('x', patternBytes(3, 20))]);
    expect(await s.get('x')).toEqual(patternBytes(3, 20));
    m.crash();
    const r = await m.open();
    expect(await r.get('x')).toEqual(patternBytes(3, 20));
    await r.close();
  });

  it('steps over a stream that never finished to reach the acknowledged records after it, pending in the replay mark', async () => {
    const m = new Machine();
    // Index commits right after each batch here, so that one happens while the stream is open.
    const s = await m.open({ indexCommit: { intervalMs: 0 } });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow = s.put('slow', slowSource(patternBytes(9, 40), gate), { expectedLength: 40 });
    slow.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 5));
    await s.put('after-1', patternBytes(10, 30));
    // The index commit that follows lists the stream's reservation as pending.
    await new Promise((r) => setTimeout(r, 5));
    expect((await s.stats()).index).toMatchObject({ stagedKeys: 0 });
    await s.put('after-2', patternBytes(11, 30));
    // Crash before the commit that would follow after-2.
    m.crash();
    open();
    const r = await m.open();
    expect(await r.get('after-1')).toEqual(patternBytes(10, 30));
    expect(await r.get('after-2')).toEqual(patternBytes(11, 30));
    await expect(r.get('slow')).rejects.toBeInstanceOf(ShardNotFoundError);
    // The stream's prefix verified, the rest did not: skipped, not a reason to cut.
    expect(r.recovery.tailRecordsDropped).toBe(1);
    expect(r.recovery.recordsReplayed).toBe(1);
    await r.close();
  });

  it('cuts a torn tail and appends after it', async () => {
    const m = new Machine();
    const s = await m.open();
    await s.put('a', patternBytes(1, 60));
    // Written but never synced: a torn crash keeps a prefix of it.
    void s.put('b', patternBytes(2, 60)).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    m.io.crash('torn');
    m.index.crash();
    const r = await m.open();
    expect(await r.get('a')).toEqual(patternBytes(1, 60));
    await r.put('c', patternBytes(3, 60));
    m.crash();
    const again = await m.open();
    expect(await again.get('c')).toEqual(patternBytes(3, 60));
    expect(await again.get('a')).toEqual(patternBytes(1, 60));
    await again.close();
  });

  it('never rolls forward the batch whose fsync failed (the fence), and keeps what was acknowledged', async () => {
    const m = new Machine();
    const s = await m.open();
    await s.put('ok', patternBytes(1, 50));
    m.io.failNext({ ops: ['sync'] });
    await expect(s.put('bad', patternBytes(2, 50))).rejects.toBeInstanceOf(DiskFailedError);
    await s.close();
    const r = await m.open();
    expect(await r.get('ok')).toEqual(patternBytes(1, 50));
    await expect(r.get('bad')).rejects.toBeInstanceOf(ShardNotFoundError);
    await r.close();
  });

  it('rewrites and syncs what it rolls forward, so a record whose first fsync failed is not indexed from the page cache alone', async () => {
    const m = new Machine();
    const s = await m.open();
    await s.put('ok', patternBytes(1, 50));
    // The fsync fails (the simulated kernel drops the pages' writeback) and so does the fence's index commit.
    m.io.failNext({ ops: ['sync'] });
    m.index.failNextCommit = 'EIO';
    await expect(s.put('doubtful', patternBytes(2, 50))).rejects.toBeInstanceOf(DiskFailedError);
    await s.close();
    // Reopen without a crash: the page cache still shows the record, and the log has no fence.
    const r = await m.open();
    const rolled = await r.get('doubtful').then(
      (b) => b,
      () => null,
    );
    await r.close();
    m.crash();
    const after = await m.open();
    // Whatever recovery decided, it must hold after a power loss too: never a corrupt shard.
    if (rolled) expect(await after.get('doubtful')).toEqual(patternBytes(2, 50));
    else await expect(after.get('doubtful')).rejects.toBeInstanceOf(ShardNotFoundError);
    expect((await after.verify()).damaged).toEqual([]);
    await after.close();
  });

  it('makes the name of a rolled-over extent durable before appending to it after a reopen', async () => {
    const m = new Machine();
    const s = await m.open({ extentSizeBytes: 300 });
    await s.put('s0', new Uint8Array(0));
    m.io.failNext({ ops: ['syncdir'] });
    // These need a new extent: its file is created, but the directory fsync fails.
    const r1 = await Promise.allSettled([s.put('s1', patternBytes(1, 28)), s.put('s2', patternBytes(2, 29))]);
    expect(r1.some((x) => x.status === 'rejected')).toBe(true);
    await s.close();
    const r = await m.open({ extentSizeBytes: 300 });
    await r.put('s3', new Uint8Array(0));
    m.crash();
    const again = await m.open({ extentSizeBytes: 300 });
    expect((await again.get('s3')).length).toBe(0);
    expect((await again.verify()).damaged).toEqual([]);
    await again.close();
  });
});
