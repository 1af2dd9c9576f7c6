import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordFormatError } from '../errors.js';
import { readU64, writeU64 } from './bytes.js';

describe('u64 fields', () => {
  it('write the same bytes as a BigInt u64 and read back every safe integer', () => {
    const edges = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52, Number.MAX_SAFE_INTEGER];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...edges), fc.maxSafeNat()), (value) => {
        const ours = Buffer.alloc(10);
        writeU64(ours, value, 1);
        const reference = Buffer.alloc(10);
        reference.writeBigUInt64LE(BigInt(value), 1);
        expect(ours.equals(reference)).toBe(true);
        expect(readU64(ours, 1, 'value')).toBe(value);
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuse what is not a safe non-negative integer, either way', () => {
    for (const bad of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => writeU64(Buffer.alloc(8), bad, 0), String(bad)).toThrow(RecordFormatError);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 2n ** 64n - 1n }), (value) => {
        const buf = Buffer.alloc(8);
        buf.writeBigUInt64LE(value);
        expect(() => readU64(buf, 0, 'value')).toThrow(RecordFormatError);
      }),
    );
  });
});
