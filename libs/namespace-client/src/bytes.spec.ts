import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareUtf8, isWellFormedUtf16 } from './bytes.js';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('a', 'é', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}') }),
);

describe('compareUtf8', () => {
  it('orders well-formed strings exactly as their UTF-8 bytes', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        fc.pre(isWellFormedUtf16(a) && isWellFormedUtf16(b));
        expect(sign(compareUtf8(a, b))).toBe(sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 5_000 },
    );
  });

  it('puts a code point past U+FFFF after U+E000–U+FFFF, where UTF-16 order does not', () => {
    expect('\u{10000}' < '\uFFFF').toBe(true);
    expect(compareUtf8('\u{10000}', '\uFFFF')).toBeGreaterThan(0);
    expect(compareUtf8('k/\uE000', 'k/\u{1F600}')).toBeLessThan(0);
  });
});
