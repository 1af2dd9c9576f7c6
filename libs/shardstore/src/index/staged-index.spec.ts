import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IndexRangeOptions } from './index-store.js';
import { MemoryIndexDisk } from './memory-index-store.js';
import { StagedIndex } from './staged-index.js';

// The overlay must read exactly like the index would after its staged ops
// were committed: same values, same UTF-8 byte order, limits and bounds honoured.

const keyArb = fc.constantFrom('a', 'b', 'ab', 'b\u0000', 'c', 'é', '\uffff', '😀', 'z', 'zz', 'k1', 'k2', 'k10');
const opArb = fc.tuple(keyArb, fc.option(fc.integer({ min: 0, max: 255 }), { nil: null }));

function bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

describe('StagedIndex', () => {
  it('reads like the index with the staged ops applied, through every range shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 10 }),
        fc.array(fc.array(opArb, { maxLength: 6 }), { maxLength: 3 }),
        fc.record({
          lower: fc.option(fc.tuple(fc.boolean(), keyArb), { nil: undefined }),
          end: fc.option(keyArb, { nil: undefined }),
          limit: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        }),
        async (durableOps, stagedBatches, q) => {
          const disk = new MemoryIndexDisk();
          const index = disk.open();
          const reference = new Map<string, number>();
          const apply = (ops: Array<[string, number | null]>): void => {
            for (const [k, v] of ops) {
              if (v === null) reference.delete(k);
              else reference.set(k, v);
            }
          };
          await index.commit(
            durableOps.map(([key, v]) => ({ table: 'shards', key, value: v === null ? null : Buffer.from([v]) })),
          );
          apply(durableOps);
          const staged = new StagedIndex(index);
          for (const batch of stagedBatches) {
            staged.stage(
              batch.map(([key, v]) => ({ table: 'shards', key, value: v === null ? null : Buffer.from([v]) })),
            );
            apply(batch);
          }
          const options: IndexRangeOptions = {
            ...(q.lower ? (q.lower[0] ? { after: q.lower[1] } : { start: q.lower[1] }) : {}),
            end: q.end,
            limit: q.limit,
          };
          const expected = [...reference]
            .filter(([k]) =>
              options.after !== undefined
                ? Buffer.compare(bytes(k), bytes(options.after)) > 0
                : options.start === undefined || Buffer.compare(bytes(k), bytes(options.start)) >= 0,
            )
            .filter(([k]) => options.end === undefined || Buffer.compare(bytes(k), bytes(options.end)) < 0)
            .sort((a, b) => Buffer.compare(bytes(a[0]), bytes(b[0])))
            .slice(0, options.limit ?? Infinity)
            .map(([k, v]) => [k, v]);
          expect(staged.range('shards', options).map(([k, v]) => [k, v[0]])).toEqual(expected);
          for (const [k] of [...durableOps, ...stagedBatches.flat()])
            expect(staged.get('shards', k)?.[0]).toBe(reference.get(k));

          // Once committed and settled, the same reads come from the index alone.
          const snap = staged.snapshot();
          await index.commit(snap.ops);
          staged.settle(snap.version);
          expect(staged.size).toBe(0);
          expect(staged.range('shards', options).map(([k, v]) => [k, v[0]])).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps a value staged again while its first version was being committed', async () => {
    const index = new MemoryIndexDisk().open();
    const staged = new StagedIndex(index);
    staged.stage([{ table: 'shards', key: 'x', value: Buffer.from([1]) }]);
    const snap = staged.snapshot();
    staged.stage([{ table: 'shards', key: 'x', value: Buffer.from([2]) }]);
    await index.commit(snap.ops);
    staged.settle(snap.version);
    expect(staged.get('shards', 'x')?.[0]).toBe(2);
    expect(staged.size).toBe(1);
  });
});
