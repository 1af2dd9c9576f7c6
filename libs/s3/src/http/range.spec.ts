import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { contentRange, parseRange, rangeLength } from './range.js';

function invalidRange(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    expect((e as S3Error).code).toBe('InvalidRange');
    expect((e as S3Error).status).toBe(416);
    return e as S3Error;
  }
  throw new Error('expected InvalidRange');
}

describe('parseRange', () => {
  it('bytes=a-b, clamped to the object', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=99-99', 100)).toEqual({ start: 99, end: 99 });
  });

  it('bytes=a- and bytes=-n', () => {
    expect(parseRange('bytes=10-', 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
  });

  it('ignores absent, malformed and multi-range headers (whole object)', () => {
    for (const h of [
      undefined,
      'bytes=',
      'bytes=-',
      'bytes=5-1',
      'items=0-1',
      'bytes=0-1,5-6',
      'bytes=a-b',
      'bytes 0-1',
    ]) {
      expect(parseRange(h, 100)).toBeUndefined();
    }
  });

  it('InvalidRange when unsatisfiable, with the requested range and the size', () => {
    const e = invalidRange(() => parseRange('bytes=100-', 100));
    expect(e.details).toEqual({ RangeRequested: 'bytes=100-', ActualObjectSize: '100' });
    invalidRange(() => parseRange('bytes=100-200', 100));
    invalidRange(() => parseRange('bytes=-0', 100));
    invalidRange(() => parseRange('bytes=0-', 0));
    invalidRange(() => parseRange('bytes=-5', 0));
    invalidRange(() => parseRange(`bytes=${'9'.repeat(30)}-`, 100));
  });

  it('tolerates whitespace and case', () => {
    expect(parseRange(' Bytes = 1 - 2 ', 10)).toEqual({ start: 1, end: 2 });
  });

  it('a satisfiable range always lies within the object (property)', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000)), (size, a, b) => {
        const header = `bytes=${a ?? ''}-${b ?? ''}`;
        let range;
        try {
          range = parseRange(header, size);
        } catch (e) {
          expect((e as S3Error).code).toBe('InvalidRange');
          return;
        }
        if (range === undefined) return;
        expect(range.start).toBeGreaterThanOrEqual(0);
        expect(range.end).toBeLessThan(size);
        expect(rangeLength(range)).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('contentRange and rangeLength', () => {
    expect(contentRange({ start: 0, end: 9 }, 100)).toBe('bytes 0-9/100');
    expect(rangeLength({ start: 5, end: 5 })).toBe(1);
  });
});
