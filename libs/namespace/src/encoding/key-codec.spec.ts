import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, prefixSuccessor } from '@platter/namespace-client';

const startsWithBytes = (bytes: Uint8Array, prefix: Uint8Array): boolean =>
  Buffer.from(bytes).subarray(0, prefix.length).equals(Buffer.from(prefix)) && bytes.length >= prefix.length;
import { bytesComponent, escapeBytes, readComponent } from './key-codec.js';
import { encodedVersionKeyLength, versionKey } from './table-keys.js';

// Keys sort as S3 lists them (UTF-8 byte order) only if the encoding keeps
// byte order, including for keys with NUL or 0xFF and keys that prefix others.
const bytesArb = fc
  .uint8Array({ maxLength: 12 })
  .chain((a) =>
    fc.constantFrom(a, Uint8Array.from([...a, 0]), Uint8Array.from([...a, 0xff]), Uint8Array.from([0, ...a])),
  );

const sign = (n: number): number => Math.sign(n);

describe('tuple key encoding', () => {
  it('keeps byte order of raw components, whatever they contain', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, bytesArb, (a, b, tail) => {
        // A following component (e.g. the version) must not disturb the order.
        const ea = Buffer.concat([bytesComponent(a), Buffer.from(tail)]);
        const eb = Buffer.concat([bytesComponent(b), Buffer.from(tail)]);
        if (compareBytes(a, b) !== 0) expect(sign(compareBytes(ea, eb))).toBe(sign(compareBytes(a, b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('knows the length of a version key without building it', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: fc.constantFrom('a', '\u0000', 'é', '\u{1F600}') }), (bucket, key) => {
        expect(encodedVersionKeyLength(bucket, key)).toBe(versionKey(bucket, key, 7n).length);
      }),
    );
  });

  it('round-trips and keeps prefixes as prefixes', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, (p, q) => {
        const whole = Buffer.concat([Buffer.from(p), Buffer.from(q)]);
        expect(startsWithBytes(escapeBytes(whole), escapeBytes(p))).toBe(true);
        const { raw, next } = readComponent(Buffer.concat([bytesComponent(whole), Buffer.from([7])]), 0);
        expect(raw.equals(whole)).toBe(true);
        expect(next).toBe(bytesComponent(whole).length);
      }),
      { numRuns: 1000 },
    );
  });

  it('bounds a prefix scan exactly with the prefix successor', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, bytesArb, (p, s, other) => {
        const bound = prefixSuccessor(p);
        const inside = Buffer.concat([Buffer.from(p), Buffer.from(s)]);
        if (bound === undefined) {
          expect(p.every((b) => b === 0xff)).toBe(true);
          return;
        }
        expect(compareBytes(inside, bound)).toBeLessThan(0);
        if (compareBytes(other, bound) >= 0) expect(startsWithBytes(other, p)).toBe(false);
      }),
      { numRuns: 2000 },
    );
    // "\uffff" is not an upper bound for UTF-8 keys: a 4-byte character sorts after it.
    expect(compareBytes(Buffer.from('\u{1F600}'), Buffer.from('\uffff'))).toBeGreaterThan(0);
  });
});
