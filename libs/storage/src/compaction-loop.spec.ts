// Background compaction gives space back from mostly-dead extents, a bounded
// amount per pass, while the shards that are still live keep reading right.
import { randomBytes } from 'node:crypto';
import { createLogger } from '@platter/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactionLoop } from './compaction-loop.js';
import { newShardId, putStream, readShard, startInProcessStorage, type InProcessStorage } from './testing/index.js';

const BS = 4096;

describe('compaction loop', () => {
  let s: InProcessStorage;
  beforeAll(async () => {
    // Extents of 64 KiB, so a few shards fill and seal several.
    s = await startInProcessStorage({
      diskIds: ['c1'],
      blockSizeBytes: BS,
      storeOptions: { extentSizeBytes: 64 * 1024 },
    });
  });
  afterAll(() => s.stop());

  it('compacts at most one extent per disk per pass, reclaims space, and keeps live shards intact', async () => {
    const kept = new Map<string, Buffer>();
    for (let i = 0; i < 24; i++) {
      const id = newShardId();
      const data = randomBytes(3 * BS);
      await s.client.putShard(
        putStream({ diskId: 'c1', shardId: id, totalLength: BigInt(data.byteLength), blockSize: BS }, data),
      );
      if (i % 4 === 0) kept.set(id, data);
      else await s.client.deleteShard({ diskId: 'c1', shardId: id });
    }
    const store = s.disks.get('c1')!.store!;
    const before = await store.stats();
    expect(before.extentCount).toBeGreaterThan(2);

    const loop = new CompactionLoop({
      disks: s.disks,
      intervalMs: 10,
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    await loop.pass();
    expect(loop.stats.extentsRemoved).toBe(1);
    const stop = new AbortController();
    const running = loop.run(stop.signal);
    for (let i = 0; i < 200 && loop.stats.passes < 8; i++) await new Promise((r) => setTimeout(r, 25));
    stop.abort();
    await running;
    expect(loop.stats.errors).toBe(0);
    expect(loop.stats.extentsRemoved).toBeGreaterThan(1);
    const after = await store.stats();
    expect(after.bytes.dead).toBeLessThan(before.bytes.dead);
    for (const [id, data] of kept)
      expect((await readShard(s.client, { diskId: 'c1', shardId: id })).data.equals(data)).toBe(true);
  });
});
