import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { describe, expect, it } from 'vitest';
import { fillingCache, HotObjectCache } from './hot-object-cache.js';

function cache(now: { t: number }, capacityBytes = 100) {
  return new HotObjectCache({ capacityBytes, maxObjectBytes: 40, admitReads: 3, windowMs: 1_000, now: () => now.t });
}

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

async function* from(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

describe('HotObjectCache', () => {
  it('admits an object read often enough within the window, never one too large', () => {
    const now = { t: 0 };
    const c = cache(now);
    expect(c.noteRead('a', 10)).toBe(false);
    expect(c.noteRead('a', 10)).toBe(false);
    expect(c.noteRead('a', 10)).toBe(true);
    now.t = 5_000; // the window passed: counting starts over
    expect(c.noteRead('a', 10)).toBe(false);
    for (let i = 0; i < 10; i++) expect(c.noteRead('big', 41)).toBe(false);
    expect(c.noteRead('empty', 0)).toBe(false);
  });

  it('evicts the least recently used objects to stay within its capacity', () => {
    const c = cache({ t: 0 }, 30);
    c.put('a', Buffer.alloc(10, 1));
    c.put('b', Buffer.alloc(10, 2));
    c.put('c', Buffer.alloc(10, 3));
    expect(c.get('a')?.[0]).toBe(1); // a is now the most recent
    c.put('d', Buffer.alloc(10, 4));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.[0]).toBe(1);
    expect(c.bytes).toBe(30);
    expect(c.stats).toMatchObject({ fills: 4, evictions: 1, hits: 2 });
  });

  it('keeps a whole read once it finished, nothing from a read cut short', async () => {
    const c = cache({ t: 0 });
    expect((await drain(fillingCache(c, 'x', 6, from('abc', 'def')))).toString()).toBe('abcdef');
    expect(c.get('x')?.toString()).toBe('abcdef');
    const cut = fillingCache(c, 'y', 6, from('abc', 'def'));
    await cut.next();
    await cut.return(undefined);
    expect(c.get('y')).toBeUndefined();
  });

  it('keys a version by its bucket, key, version, ETag and first shard, so that a rewrite is a new key', () => {
    const v = (shardId: string) =>
      create(namespaceV1.ObjectVersionSchema, {
        bucket: 'b',
        key: 'k',
        versionId: 'null',
        etag: '"e"',
        layout: { data: { case: 'striped', value: { parts: [{ shards: [{ shardIndex: 0, shardId }] }] } } },
      });
    expect(HotObjectCache.idOf(v('s1'))).not.toBe(HotObjectCache.idOf(v('s2')));
    const inline = create(namespaceV1.ObjectVersionSchema, {
      bucket: 'b',
      key: 'k',
      layout: { data: { case: 'inlineData', value: new Uint8Array(3) } },
    });
    expect(HotObjectCache.idOf(inline)).toBeUndefined();
  });
});
