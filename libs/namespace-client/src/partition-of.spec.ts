import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionOfKey } from './partition-of.js';

describe('partitionOfKey', () => {
  it('is stable, in range, and splits each partition in two when the count doubles', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.constantFrom(1, 2, 4, 8, 64), (bucket, key, n) => {
        const p = partitionOfKey(bucket, key, n);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
        expect(partitionOfKey(bucket, key, n)).toBe(p);
        expect([p, p + n]).toContain(partitionOfKey(bucket, key, 2 * n));
      }),
      { numRuns: 500 },
    );
    // Part of the data format: a change here would move every key.
    expect([0, 1, 2, 3].map((i) => partitionOfKey('b', `k${i}`, 1024))).toMatchInlineSnapshot(`
      [
        393,
        438,
        980,
        742,
      ]
    `);
  });

  it('spreads one bucket evenly', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionOfKey('one-bucket', `logs/2026/${i}`, 8)]! += 1;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});
