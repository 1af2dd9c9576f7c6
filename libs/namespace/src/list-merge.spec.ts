import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { byBytes } from './testing/reference-namespace.js';
import { createBucketOp, deleteObjectOp, putObjectOp, setVersioningOp } from './testing/requests.js';
import { ShardedNamespace } from './testing/sharded-namespace.js';
import { encodeContinuationToken } from '@platter/namespace-client';
import { mergeListObjectsPages } from '@platter/namespace-client';

// Listing across partitions (the list-after-write part of G2): merged pages
// are sorted, resume exactly, and agree with a single sorted view.

// Weighted toward 'a' and '/' so that prefixes and delimiters hit many keys;
// U+FF21 and U+1F600 are where UTF-16 order and UTF-8 byte order disagree.
const ALPHABET = ['a', 'a', 'a', 'b', '/', '/', 'é', '\u0000', '\uFF21', '\u{1F600}'];
const keyArb = fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((cs) => cs.join(''));

let sharded: ShardedNamespace | undefined;
afterEach(async () => {
  await sharded?.close();
  sharded = undefined;
});

function collectObjects(
  ns: ShardedNamespace,
  base: { bucket: string; prefix: string; delimiter: string; maxKeys: number; startAfter: string },
  scanBudgetRows: number | undefined,
): { items: string[]; pages: number } {
  const items: string[] = [];
  let token = '';
  for (let page = 1; page <= 1000; page++) {
    const res = ns.listObjects(create(namespaceV1.ListObjectsRequestSchema, { ...base, continuationToken: token }), {
      scanBudgetRows,
    });
    const rows = [...res.objects.map((o) => `K:${o.key}`), ...res.commonPrefixes.map((p) => `P:${p}`)].sort((x, y) =>
      byBytes(x.slice(2), y.slice(2)),
    );
    expect(rows.length).toBeLessThanOrEqual(base.maxKeys);
    items.push(...rows);
    if (!res.isTruncated) return { items, pages: page };
    token = res.nextContinuationToken;
  }
  throw new Error('listing did not end');
}

describe('mergeListObjectsPages', () => {
  it('returns a lone partition page unchanged', () => {
    const params = { bucket: 'bkt', prefix: '', delimiter: '/', maxKeys: 2 };
    const page = create(namespaceV1.ListObjectsResponseSchema, {
      objects: [create(namespaceV1.ObjectSummarySchema, { key: 'a' })],
      commonPrefixes: ['b/'],
      isTruncated: true,
      nextContinuationToken: encodeContinuationToken({ start: Buffer.from('b0'), insidePrefix: false }, params),
    });
    expect(mergeListObjectsPages([page], params)).toEqual(page);
  });

  it('never shows a key past a partition that stopped earlier', () => {
    const params = { bucket: 'bkt', prefix: '', delimiter: '', maxKeys: 10 };
    const stoppedAtB = create(namespaceV1.ListObjectsResponseSchema, {
      objects: [create(namespaceV1.ObjectSummarySchema, { key: 'a' })],
      isTruncated: true,
      nextContinuationToken: encodeContinuationToken({ start: Buffer.from('b'), insidePrefix: false }, params),
    });
    const complete = create(namespaceV1.ObjectSummarySchema, { key: 'c' });
    const other = create(namespaceV1.ListObjectsResponseSchema, { objects: [complete] });
    const merged = mergeListObjectsPages([stoppedAtB, other], params);
    expect(merged.objects.map((o) => o.key)).toEqual(['a']);
    expect(merged.isTruncated).toBe(true);
    expect(() => mergeListObjectsPages([{ ...stoppedAtB, nextContinuationToken: 'xx' }], params)).toThrow(RangeError);
  });

  it('agrees with one sorted view of all partitions, for objects and versions', async () => {
    sharded = await ShardedNamespace.create(3);
    const ns = sharded;
    await ns.execute(createBucketOp('bkt'));
    await ns.execute(setVersioningOp('bkt', namespaceV1.VersioningState.ENABLED));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyArb, { minLength: 1, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.constantFrom('', '', 'a', 'a/', 'aa', 'é'),
        fc.constantFrom('', '/', '/', 'b'),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('', '', '', 'a', 'a/a', 'a\u{1F600}'),
        // Partitions whose pages stop short (rows hidden by delete markers) make the merge hold back.
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        async (keys, hidden, prefix, delimiter, maxKeys, startAfter, scanBudgetRows) => {
          // A fresh bucket per run keeps runs independent.
          const bucket = `bkt-${++run}`;
          await ns.execute(createBucketOp(bucket));
          await ns.execute(setVersioningOp(bucket, namespaceV1.VersioningState.ENABLED));
          await Promise.all(keys.map((key) => ns.execute(putObjectOp({ bucket, key, body: key }))));
          const deleted = keys.filter((_, i) => hidden[i]);
          await Promise.all(deleted.map((key) => ns.execute(deleteObjectOp({ bucket, key }))));

          const live = keys.filter((k) => !deleted.includes(k));
          const expected = new Set<string>();
          for (const key of live) {
            if (!key.startsWith(prefix)) continue;
            const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
            const item = at === -1 ? key : key.slice(0, at + delimiter.length);
            if (startAfter !== '' && byBytes(item, startAfter) <= 0) continue;
            expected.add(at === -1 ? `K:${item}` : `P:${item}`);
          }
          const { items } = collectObjects(ns, { bucket, prefix, delimiter, maxKeys, startAfter }, scanBudgetRows);
          expect(items).toEqual([...expected].sort((x, y) => byBytes(x.slice(2), y.slice(2))));

          // Versions: every version and marker, by key, newest first.
          const versions: string[] = [];
          let keyMarker = '';
          let versionIdMarker = '';
          for (let page = 0; page < 1000; page++) {
            const res = ns.listObjectVersions(
              create(namespaceV1.ListObjectVersionsRequestSchema, {
                bucket,
                prefix,
                delimiter,
                maxKeys,
                keyMarker,
                versionIdMarker,
              }),
            );
            expect(res.versions.length + res.commonPrefixes.length).toBeLessThanOrEqual(maxKeys);
            // Versions and prefixes come in two lists; a stable sort by key restores the page's order.
            const rows = [
              ...res.versions.map((v) => ({ k: v.key, s: `${v.key}:${v.deleteMarker}:${v.isLatest}` })),
              ...res.commonPrefixes.map((p) => ({ k: p, s: `P:${p}` })),
            ].sort((x, y) => byBytes(x.k, y.k));
            versions.push(...rows.map((r) => r.s));
            if (!res.isTruncated) break;
            keyMarker = res.nextKeyMarker;
            versionIdMarker = res.nextVersionIdMarker;
          }
          const expectedVersions: string[] = [];
          const prefixes = new Set<string>();
          for (const key of [...keys].sort(byBytes)) {
            if (!key.startsWith(prefix)) continue;
            const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
            if (at !== -1) {
              const cp = key.slice(0, at + delimiter.length);
              if (!prefixes.has(cp)) expectedVersions.push(`P:${cp}`);
              prefixes.add(cp);
            } else if (deleted.includes(key)) expectedVersions.push(`${key}:true:true`, `${key}:false:false`);
            else expectedVersions.push(`${key}:false:true`);
          }
          expect(versions).toEqual(expectedVersions);
        },
      ),
      { numRuns: 25 },
    );
  }, 300_000);
});

describe('listing while writers run', () => {
  it('is sorted, without gaps or duplicates, and shows every key written before it began', async () => {
    sharded = await ShardedNamespace.create(3);
    const ns = sharded;
    await ns.execute(createBucketOp('live'));
    const stable = Array.from({ length: 300 }, (_, i) => `stable/${String(i).padStart(4, '0')}`);
    await Promise.all(stable.map((key) => ns.execute(putObjectOp({ bucket: 'live', key, body: key }))));
    const before = Array.from({ length: 50 }, (_, i) => `m/${String(i).padStart(4, '0')}`);
    await Promise.all(before.map((key) => ns.execute(putObjectOp({ bucket: 'live', key, body: key }))));

    // Writers add keys all over the key space and delete some of their own.
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop && i < 10_000; i++) {
        const key = `${['a', 'm', 'stable', 'z'][i % 4]}/w${w}-${i}`;
        await ns.execute(putObjectOp({ bucket: 'live', key, body: key }));
        if (i % 3 === 2)
          await ns.execute(
            deleteObjectOp({ bucket: 'live', key: `${['a', 'm', 'stable', 'z'][(i - 2) % 4]}/w${w}-${i - 2}` }),
          );
      }
    });

    const seen: string[] = [];
    let token = '';
    let pages = 0;
    try {
      for (; pages < 10_000; pages++) {
        const res = ns.listObjects(
          create(namespaceV1.ListObjectsRequestSchema, { bucket: 'live', maxKeys: 7, continuationToken: token }),
        );
        seen.push(...res.objects.map((o) => o.key));
        if (!res.isTruncated) break;
        token = res.nextContinuationToken;
        // Let the writers commit between pages.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(pages).toBeGreaterThan(40);
    for (let i = 1; i < seen.length; i++) expect(byBytes(seen[i - 1] ?? '', seen[i] ?? '')).toBeLessThan(0);
    const shown = new Set(seen);
    expect([...stable, ...before].filter((k) => !shown.has(k))).toEqual([]);
    // Anything else shown was written by a writer (no invented keys).
    expect(
      seen.filter((k) => !stable.includes(k) && !before.includes(k) && !/^(a|m|stable|z)\/w\d-\d+$/.test(k)),
    ).toEqual([]);
  }, 120_000);
});
