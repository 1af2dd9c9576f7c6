import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptionError, DiskIdentityError } from './errors.js';
import { decodeShardEntry, encodeShardEntry, type ShardEntry } from './format/index-entry.js';
import { LmdbIndexStore } from './index/lmdb-index-store.js';
import { ShardStore } from './shard-store.js';
import { makeTempDir, patternBytes } from './testing/temp-dir.js';

// Corruption on real files (RELIABILITY.md G3): bit flips and overwritten
// blocks in extents and in the index make reads fail with CorruptionError —
// never wrong bytes — verify names exactly the damaged shards, and the disk
// reopens every time.

const BLOCK = 4096;
let tmp: { dir: string; remove: () => Promise<void> };
beforeEach(async () => {
  tmp = await makeTempDir('shardstore-corrupt');
});
afterEach(async () => {
  await tmp.remove();
});

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const openStore = (): Promise<ShardStore> =>
  ShardStore.open({
    dir: tmp.dir,
    clusterId: 'c',
    blockSizeBytes: BLOCK,
    extentSizeBytes: 256 * 1024,
    reserveFreeBytes: 0,
  });

async function populate(n: number, random: () => number): Promise<Map<string, Buffer>> {
  const s = await openStore();
  const shards = new Map<string, Buffer>();
  for (let i = 0; i < n; i++) {
    const id = `shard-${String(i).padStart(3, '0')}`;
    const data = patternBytes(i + 1, 1 + Math.floor(random() * 20_000));
    await s.put(id, data);
    shards.set(id, data);
  }
  // Some dead bytes too, so that flips also land where no shard lives.
  for (let i = 0; i < n; i += 7) {
    const id = `shard-${String(i).padStart(3, '0')}`;
    await s.delete(id);
    shards.delete(id);
  }
  await s.close();
  return shards;
}

function readEntries(dir: string): Map<string, ShardEntry> {
  const idx = LmdbIndexStore.open({ path: path.join(dir, 'index') });
  const out = new Map<string, ShardEntry>();
  for (const [k, v] of idx.range('shards', {})) out.set(k, decodeShardEntry(k, v));
  void idx.close();
  return out;
}

async function verifyAll(s: ShardStore): Promise<Map<string, string>> {
  const damaged = new Map<string, string>();
  let after: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await s.verify(after === undefined ? { limit: 7 } : { after, limit: 7 });
    for (const d of r.damaged) damaged.set(d.shardId, d.kind);
    if (r.nextAfter === undefined) break;
    after = r.nextAfter;
  }
  return damaged;
}

describe('corruption', () => {
  it('catches bit flips and overwritten blocks in extents: errors, never wrong bytes, exact verify', async () => {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      const shards = await populate(40, random);
      const entries = readEntries(tmp.dir);
      const extentsDir = path.join(tmp.dir, 'extents');
      const files = (await fs.readdir(extentsDir)).sort();
      const expectData = new Set<string>();
      const expectHeader = new Set<string>();
      const hit = (extentId: number, from: number, to: number): void => {
        for (const [id, e] of entries) {
          if (e.state !== 'live' || e.extentId !== extentId) continue;
          const dataStart = e.recordOffset + e.headerLength;
          const end = dataStart + e.dataLength;
          if (to > dataStart && from < end) expectData.add(id);
          else if (to > e.recordOffset && from < dataStart) expectHeader.add(id);
        }
      };
      for (let k = 0; k < 12; k++) {
        const name = files[Math.floor(random() * files.length)]!;
        const file = path.join(extentsDir, name);
        const buf = await fs.readFile(file);
        if (buf.length === 0) continue;
        const extentId = parseInt(name.slice(0, 8), 16);
        if (k % 4 === 3) {
          // Overwrite a whole aligned block-sized range with garbage.
          const at = Math.floor((random() * buf.length) / BLOCK) * BLOCK;
          const len = Math.min(BLOCK, buf.length - at);
          patternBytes(1000 + k, len).copy(buf, at);
          hit(extentId, at, at + len);
        } else {
          const at = Math.floor(random() * buf.length);
          buf[at]! ^= 1 << Math.floor(random() * 8);
          hit(extentId, at, at + 1);
        }
        await fs.writeFile(file, buf);
      }
      for (const id of expectData) expectHeader.delete(id);
      expect(expectData.size).toBeGreaterThan(0);

      const s = await openStore();
      for (const [id, data] of shards) {
        try {
          const got = await s.get(id);
          expect(got.equals(data), `${id} returned wrong bytes`).toBe(true);
          expect(expectData.has(id), `${id} should have failed`).toBe(false);
        } catch (err) {
          expect(err).toBeInstanceOf(CorruptionError);
          expect(expectData.has(id), `${id} failed but was not damaged`).toBe(true);
        }
      }
      const damaged = await verifyAll(s);
      expect([...damaged.keys()].sort()).toEqual([...expectData, ...expectHeader].sort());
      for (const id of expectData) expect(damaged.get(id)).toBe('data');
      for (const id of expectHeader) expect(damaged.get(id)).toBe('header');
      await s.close();
      // Reopening is not disturbed by the damage.
      await (await openStore()).close();
      await tmp.remove();
      await fs.mkdir(tmp.dir);
    }
  });

  it('catches flipped bits in index values inside the LMDB file', async () => {
    const shards = await populate(20, rng(9));
    const entries = readEntries(tmp.dir);
    const victims = ['shard-003', 'shard-011', 'shard-016'];
    const dbFile = path.join(tmp.dir, 'index', 'data.mdb');
    const db = await fs.readFile(dbFile);
    for (const id of victims) {
      const value = encodeShardEntry(id, entries.get(id)!);
      let at = db.indexOf(value);
      expect(at, `${id} value found in data.mdb`).toBeGreaterThanOrEqual(0);
      // LMDB is copy-on-write: stale copies may exist; damage every copy.
      while (at >= 0) {
        db[at + 10]! ^= 0x04;
        at = db.indexOf(value, at + 1);
      }
    }
    await fs.writeFile(dbFile, db);
    const s = await openStore();
    for (const [id, data] of shards) {
      if (victims.includes(id)) await expect(s.get(id)).rejects.toBeInstanceOf(CorruptionError);
      else expect(await s.get(id)).toEqual(data);
    }
    const damaged = await verifyAll(s);
    expect([...damaged].sort()).toEqual(victims.map((v) => [v, 'index']));
    expect((await s.list()).shards.filter((x) => x.state === 'corrupt').map((x) => x.shardId)).toEqual(victims);
    // Deleting a damaged entry clears it.
    await s.delete(victims[0]!);
    expect((await verifyAll(s)).size).toBe(2);
    await s.close();
    await (await openStore()).close();
  });

  it('recounts extent metadata that fails its CRC, and keeps serving', async () => {
    const shards = await populate(30, rng(4));
    const idx = LmdbIndexStore.open({ path: path.join(tmp.dir, 'index') });
    const metas = idx.range('extents', {}).map(([, v]) => Buffer.from(v));
    await idx.close();
    expect(metas.length).toBeGreaterThan(1);
    const dbFile = path.join(tmp.dir, 'index', 'data.mdb');
    const db = await fs.readFile(dbFile);
    let at = db.indexOf(metas[0]!);
    expect(at).toBeGreaterThanOrEqual(0);
    while (at >= 0) {
      db[at + 20]! ^= 0x80;
      at = db.indexOf(metas[0]!, at + 1);
    }
    await fs.writeFile(dbFile, db);
    const s = await openStore();
    expect(s.recovery.rebuiltExtentMeta).toEqual([metas[0]!.readUInt32LE(4)]);
    for (const [id, data] of shards) expect(await s.get(id)).toEqual(data);
    await s.put('after', patternBytes(5, 100));
    await s.close();
    const r = await openStore();
    expect(r.recovery.rebuiltExtentMeta).toEqual([]);
    expect(await r.get('after')).toEqual(patternBytes(5, 100));
    await r.close();
  });

  it('refuses a damaged superblock with a typed error instead of guessing', async () => {
    await populate(2, rng(1));
    const sbFile = path.join(tmp.dir, 'superblock');
    const sb = await fs.readFile(sbFile);
    sb[20]! ^= 0x01;
    await fs.writeFile(sbFile, sb);
    await expect(openStore()).rejects.toBeInstanceOf(DiskIdentityError);
    await expect(openStore()).rejects.toBeInstanceOf(DiskIdentityError);
  });
});
