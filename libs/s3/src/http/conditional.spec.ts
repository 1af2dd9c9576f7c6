import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import {
  assertReadConditions,
  conditionalHeadersFrom,
  etagListMatches,
  evaluateReadConditions,
  parseWriteConditions,
  type ConditionalHeaders,
} from './conditional.js';

const OBJECT = { etag: '"abc123"', lastModified: new Date('2026-01-10T12:00:00.900Z') };
const BEFORE = 'Sat, 10 Jan 2026 11:00:00 GMT';
const SAME_SECOND = 'Sat, 10 Jan 2026 12:00:00 GMT';
const AFTER = 'Sat, 10 Jan 2026 13:00:00 GMT';

const outcome = (c: ConditionalHeaders): string => evaluateReadConditions(c, OBJECT);

describe('evaluateReadConditions', () => {
  it('proceeds without conditions', () => {
    expect(outcome({})).toBe('proceed');
  });

  it('If-Match: 412 unless an entity tag matches (quotes optional, lists, *)', () => {
    expect(outcome({ ifMatch: '"abc123"' })).toBe('proceed');
    expect(outcome({ ifMatch: 'abc123' })).toBe('proceed');
    expect(outcome({ ifMatch: '"x", "abc123"' })).toBe('proceed');
    expect(outcome({ ifMatch: '*' })).toBe('proceed');
    expect(outcome({ ifMatch: '"other"' })).toBe('precondition-failed');
  });

  it('If-None-Match: 304 when an entity tag matches', () => {
    expect(outcome({ ifNoneMatch: '"abc123"' })).toBe('not-modified');
    expect(outcome({ ifNoneMatch: 'W/"abc123"' })).toBe('not-modified');
    expect(outcome({ ifNoneMatch: '*' })).toBe('not-modified');
    expect(outcome({ ifNoneMatch: '"other"' })).toBe('proceed');
  });

  it('If-Modified-Since: 304 when not modified since (whole seconds)', () => {
    expect(outcome({ ifModifiedSince: BEFORE })).toBe('proceed');
    expect(outcome({ ifModifiedSince: SAME_SECOND })).toBe('not-modified');
    expect(outcome({ ifModifiedSince: AFTER })).toBe('not-modified');
  });

  it('If-Unmodified-Since: 412 when modified since', () => {
    expect(outcome({ ifUnmodifiedSince: BEFORE })).toBe('precondition-failed');
    expect(outcome({ ifUnmodifiedSince: SAME_SECOND })).toBe('proceed');
    expect(outcome({ ifUnmodifiedSince: AFTER })).toBe('proceed');
  });

  it('If-Match true overrides a failing If-Unmodified-Since (S3 documented case)', () => {
    expect(outcome({ ifMatch: '"abc123"', ifUnmodifiedSince: BEFORE })).toBe('proceed');
  });

  it('If-None-Match false with If-Modified-Since true answers 304 (S3 documented case)', () => {
    expect(outcome({ ifNoneMatch: '"abc123"', ifModifiedSince: BEFORE })).toBe('not-modified');
  });

  it('If-None-Match true overrides a failing If-Modified-Since', () => {
    expect(outcome({ ifNoneMatch: '"other"', ifModifiedSince: AFTER })).toBe('proceed');
  });

  it('412 wins over 304', () => {
    expect(outcome({ ifMatch: '"other"', ifNoneMatch: '"abc123"' })).toBe('precondition-failed');
  });

  it('ignores unparseable dates, and If-Modified-Since in the future when now is given', () => {
    expect(outcome({ ifModifiedSince: 'yesterday' })).toBe('proceed');
    expect(outcome({ ifUnmodifiedSince: '1' })).toBe('proceed');
    const now = new Date('2026-01-10T12:30:00Z');
    expect(evaluateReadConditions({ ifModifiedSince: AFTER }, OBJECT, now)).toBe('proceed');
    expect(evaluateReadConditions({ ifModifiedSince: SAME_SECOND }, OBJECT, now)).toBe('not-modified');
  });

  it('accepts the obsolete RFC 850 and asctime date forms', () => {
    expect(outcome({ ifModifiedSince: 'Saturday, 10-Jan-26 13:00:00 GMT' })).toBe('not-modified');
    expect(outcome({ ifModifiedSince: 'Sat Jan 10 13:00:00 2026' })).toBe('not-modified');
  });
});

describe('assertReadConditions', () => {
  it('throws PreconditionFailed (412) naming the condition, and NotModified (304)', () => {
    try {
      assertReadConditions({ ifUnmodifiedSince: BEFORE }, OBJECT);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(S3Error);
      expect((e as S3Error).status).toBe(412);
      expect((e as S3Error).details['Condition']).toBe('If-Unmodified-Since');
    }
    try {
      assertReadConditions({ ifNoneMatch: '"abc123"' }, OBJECT);
      expect.unreachable();
    } catch (e) {
      expect((e as S3Error).code).toBe('NotModified');
      expect((e as S3Error).status).toBe(304);
      // A 304 still names the validators (s3-tests read the ETag off it).
      expect((e as S3Error).headers['ETag']).toBe('"abc123"');
      expect((e as S3Error).headers['Last-Modified']).toBe(OBJECT.lastModified.toUTCString());
    }
    expect(() => assertReadConditions({}, OBJECT)).not.toThrow();
  });
});

describe('helpers', () => {
  it('conditionalHeadersFrom reads the four headers', () => {
    expect(
      conditionalHeadersFrom({ 'if-match': 'a', 'if-none-match': 'b', 'if-modified-since': 'c', host: 'h' }),
    ).toEqual({ ifMatch: 'a', ifNoneMatch: 'b', ifModifiedSince: 'c' });
  });

  it('etagListMatches ignores empty items', () => {
    expect(etagListMatches(' , ', 'x')).toBe(false);
  });

  it('parseWriteConditions: If-None-Match * or an ETag list, If-Match a single tag', () => {
    expect(parseWriteConditions({})).toEqual({ ifNoneMatchAny: false });
    expect(parseWriteConditions({ 'if-none-match': '*' })).toEqual({ ifNoneMatchAny: true });
    expect(parseWriteConditions({ 'if-match': '"abc"' })).toEqual({ ifNoneMatchAny: false, ifMatch: 'abc' });
    expect(parseWriteConditions({ 'if-none-match': '"abc", def' })).toEqual({
      ifNoneMatchAny: false,
      ifNoneMatchEtags: '"abc", def',
    });
    expect(() => parseWriteConditions({ 'if-match': '"a","b"' })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });
});
