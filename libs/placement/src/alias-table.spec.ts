import { describe, expect, it } from 'vitest';
import { AliasTable } from './alias-table.js';
import { createRng } from './rng.js';

describe('AliasTable', () => {
  it('draws items in proportion to their weights and never a zero-weight item', () => {
    const table = new AliasTable([10, 11, 12, 13], [1, 2, 0, 5]);
    const rng = createRng(1);
    const counts = new Map<number, number>();
    const n = 80_000;
    for (let i = 0; i < n; i++) {
      const item = table.draw(rng);
      counts.set(item, (counts.get(item) ?? 0) + 1);
    }
    expect(counts.get(12)).toBeUndefined();
    expect((counts.get(10) ?? 0) / n).toBeCloseTo(1 / 8, 2);
    expect((counts.get(11) ?? 0) / n).toBeCloseTo(2 / 8, 2);
    expect((counts.get(13) ?? 0) / n).toBeCloseTo(5 / 8, 2);
    expect(table.totalWeight).toBe(8);
  });

  it('returns -1 when nothing can be drawn', () => {
    expect(new AliasTable([1, 2], [0, 0]).draw(createRng(1))).toBe(-1);
  });
});

describe('createRng', () => {
  it('replays exactly for a seed, differs across seeds, stays in [0, 1)', () => {
    const a = createRng(99);
    const b = createRng(99);
    const c = createRng(100);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const r = createRng(5);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(7);
      expect(Number.isInteger(v) && v >= 0 && v < 7).toBe(true);
    }
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
  });
});
