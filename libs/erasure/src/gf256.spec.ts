import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cauchyDecodeRows, cauchyEncodeMatrix } from './cauchy-matrix.js';
import { gfInv, gfInvertMatrix, gfMul } from './gf256.js';

const byte = fc.integer({ min: 0, max: 255 });
const nonZero = fc.integer({ min: 1, max: 255 });

function matMul(a: Uint8Array, b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let x = 0; x < n; x++) v ^= gfMul(a[i * n + x]!, b[x * n + j]!);
      out[i * n + j] = v;
    }
  return out;
}

describe('GF(2^8)', () => {
  it('matches hand-computed products under 0x11d', () => {
    expect(gfMul(2, 0x80)).toBe(0x1d); // x · x^7 = x^8 ≡ x^4 + x^3 + x^2 + 1
    expect(gfMul(3, 7)).toBe(9); // (x+1)(x^2+x+1) = x^3 + 1
    expect(gfMul(0, 200)).toBe(0);
    expect(gfInv(1)).toBe(1);
    expect(gfMul(0x8e, 2)).toBe(1); // 0x8e is the inverse of 2
    expect(() => gfInv(0)).toThrow(RangeError);
  });

  it('is a field: commutative, associative, distributive, with inverses', () => {
    fc.assert(
      fc.property(byte, byte, byte, nonZero, (a, b, c, d) => {
        expect(gfMul(a, b)).toBe(gfMul(b, a));
        expect(gfMul(gfMul(a, b), c)).toBe(gfMul(a, gfMul(b, c)));
        expect(gfMul(a, b ^ c)).toBe(gfMul(a, b) ^ gfMul(a, c));
        expect(gfMul(d, gfInv(d))).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('inverts every k×k submatrix of the Cauchy encode matrix', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((k) =>
            fc
              .tuple(fc.constant(k), fc.integer({ min: 1, max: 6 }))
              .chain(([k2, m]) =>
                fc.tuple(
                  fc.constant(k2),
                  fc.constant(m),
                  fc.shuffledSubarray([...Array(k2 + m).keys()], { minLength: k2, maxLength: k2 }),
                ),
              ),
          ),
        ([k, m, rows]) => {
          const a = cauchyEncodeMatrix(k, m);
          const sub = new Uint8Array(k * k);
          rows.forEach((r, i) => sub.set(a.subarray(r * k, r * k + k), i * k));
          const inv = gfInvertMatrix(sub, k);
          expect(inv).toBeDefined();
          const identity = new Uint8Array(k * k);
          for (let i = 0; i < k; i++) identity[i * k + i] = 1;
          expect(Buffer.from(matMul(sub, inv!, k)).equals(Buffer.from(identity))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reports a singular matrix instead of inverting it', () => {
    expect(gfInvertMatrix(Uint8Array.from([1, 2, 1, 2]), 2)).toBeUndefined();
  });

  it('decode rows for a surviving shard reproduce its own encode row', () => {
    const a = cauchyEncodeMatrix(5, 4);
    // Target 3 is among the sources' span: decoding it from data rows 0..4 is unit vector e3.
    expect([...cauchyDecodeRows(a, 5, [0, 1, 2, 3, 4], [3, 7])]).toEqual([0, 0, 0, 1, 0, ...a.subarray(35, 40)]);
  });
});
