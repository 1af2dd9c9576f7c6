import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockSizeOf,
  blocksTouched,
  dataBytesOf,
  shardOffsetOf,
  stripeGeometry,
  stripeOf,
  stripeStart,
} from './stripe-geometry.js';

const MiB = 2 ** 20;

describe('stripeGeometry', () => {
  it('gives whole stripes full blocks and shrinks only the tail, 8-byte aligned', () => {
    expect(stripeGeometry(10 * MiB, 5, 4, MiB)).toMatchObject({
      stripeCount: 2,
      tailBlockSize: MiB,
      shardLength: 2 * MiB,
    });
    expect(stripeGeometry(5 * MiB + 1, 5, 4, MiB)).toMatchObject({
      stripeCount: 2,
      tailBlockSize: 8,
      shardLength: MiB + 8,
    });
    expect(stripeGeometry(101, 5, 4, MiB)).toMatchObject({ stripeCount: 1, tailBlockSize: 24, shardLength: 24 });
    expect(stripeGeometry(0, 5, 4, MiB)).toMatchObject({ stripeCount: 0, shardLength: 0 });
  });

  it('refuses sizes and schemes that are not whole numbers', () => {
    expect(() => stripeGeometry(-1, 5, 4, MiB)).toThrow(RangeError);
    expect(() => stripeGeometry(1.5, 5, 4, MiB)).toThrow(RangeError);
    expect(() => stripeGeometry(10, 0, 4, MiB)).toThrow(RangeError);
    expect(() => stripeGeometry(10, 5, 4, 1000 + 1)).toThrow(RangeError);
  });

  it('maps every byte to exactly one stripe, block and shard offset that hold it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 64 }).map((n) => n * 8),
        fc.integer({ min: 1, max: 5_000 }),
        fc.nat(),
        (k, blockSize, size, pick) => {
          const g = stripeGeometry(size, k, 2, blockSize);
          const offset = pick % size;
          const s = stripeOf(g, offset);
          expect(s).toBeLessThan(g.stripeCount);
          const inStripe = offset - stripeStart(g, s);
          expect(inStripe).toBeLessThan(dataBytesOf(g, s));
          const bs = blockSizeOf(g, s);
          const { first, last } = blocksTouched(g, s, offset, offset + 1);
          expect(first).toBe(last);
          expect(first).toBe(Math.floor(inStripe / bs));
          expect(first).toBeLessThan(k);
          // The block's bytes sit inside the shard.
          expect(shardOffsetOf(g, s) + (inStripe % bs)).toBeLessThan(g.shardLength);
          // Data bytes of all stripes add up to the part.
          let total = 0;
          for (let t = 0; t < g.stripeCount; t++) total += dataBytesOf(g, t);
          expect(total).toBe(size);
          expect(k * g.tailBlockSize).toBeGreaterThanOrEqual(dataBytesOf(g, g.stripeCount - 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
