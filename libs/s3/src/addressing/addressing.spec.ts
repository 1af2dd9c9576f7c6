import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { bucketNameProblem, validateBucketName } from './bucket-name.js';
import { MAX_OBJECT_KEY_BYTES, validateObjectKey } from './object-key.js';
import { hostName, parseRequestTarget } from './request-target.js';

const OPTIONS = { baseDomains: ['s3.example.com', 's3.local'] };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    return (e as S3Error).code;
  }
}

describe('parseRequestTarget', () => {
  it('path-style: service, bucket and object', () => {
    expect(parseRequestTarget('localhost:9000', '/', OPTIONS)).toEqual({ kind: 'service' });
    expect(parseRequestTarget('localhost:9000', '/bucket', OPTIONS)).toEqual({
      kind: 'bucket',
      style: 'path',
      bucket: 'bucket',
    });
    expect(parseRequestTarget('localhost:9000', '/bucket/', OPTIONS)).toEqual({
      kind: 'bucket',
      style: 'path',
      bucket: 'bucket',
    });
    expect(parseRequestTarget('127.0.0.1', '/bucket/dir/file.txt', OPTIONS)).toEqual({
      kind: 'object',
      style: 'path',
      bucket: 'bucket',
      key: 'dir/file.txt',
    });
  });

  it('the base domain itself is path-style', () => {
    expect(parseRequestTarget('s3.example.com', '/bucket/k', OPTIONS)).toMatchObject({
      style: 'path',
      bucket: 'bucket',
    });
  });

  it('virtual-hosted-style under configured domains, any port, any case', () => {
    expect(parseRequestTarget('My.Bucket.S3.Example.com:443', '/photos/a.jpg', OPTIONS)).toEqual({
      kind: 'object',
      style: 'virtual-host',
      bucket: 'my.bucket',
      key: 'photos/a.jpg',
    });
    expect(parseRequestTarget('b.s3.local', '/', OPTIONS)).toEqual({
      kind: 'bucket',
      style: 'virtual-host',
      bucket: 'b',
    });
    expect(parseRequestTarget('.s3.local', '/x/y', OPTIONS)).toMatchObject({ style: 'path', bucket: 'x', key: 'y' });
    // Not under a configured domain: path-style.
    expect(parseRequestTarget('b.elsewhere.com', '/x/y', OPTIONS)).toMatchObject({
      style: 'path',
      bucket: 'x',
      key: 'y',
    });
  });

  it('decodes keys once, segment by segment, without normalising', () => {
    expect(parseRequestTarget('h', '/b/a%20b/c%2Fd/%E2%82%AC+', OPTIONS)).toMatchObject({ key: 'a b/c/d/€+' });
    expect(parseRequestTarget('h', '/b/a/../b/./c//d', OPTIONS)).toMatchObject({ key: 'a/../b/./c//d' });
    expect(parseRequestTarget('h', '/b/%2525', OPTIONS)).toMatchObject({ key: '%25' });
    expect(parseRequestTarget('b.s3.local', '//lead', OPTIONS)).toMatchObject({ key: '/lead' });
  });

  it('InvalidURI for malformed escapes, invalid UTF-8 and odd paths', () => {
    expect(code(() => parseRequestTarget('h', '/b/%zz', OPTIONS))).toBe('InvalidURI');
    expect(code(() => parseRequestTarget('h', '/b/%ED%A0%80', OPTIONS))).toBe('InvalidURI');
    expect(code(() => parseRequestTarget('h', 'b/k', OPTIONS))).toBe('InvalidURI');
    expect(code(() => parseRequestTarget('h', '//k', OPTIONS))).toBe('InvalidURI');
  });

  it('KeyTooLongError above 1,024 UTF-8 bytes, counted in bytes not characters', () => {
    const ok = 'a'.repeat(MAX_OBJECT_KEY_BYTES);
    expect(parseRequestTarget('h', `/b/${ok}`, OPTIONS)).toMatchObject({ key: ok });
    expect(code(() => parseRequestTarget('h', `/b/${ok}a`, OPTIONS))).toBe('KeyTooLongError');
    // 342 × '€' (3 bytes each) = 1,026 bytes but only 342 characters.
    expect(code(() => validateObjectKey('€'.repeat(342)))).toBe('KeyTooLongError');
    expect(code(() => validateObjectKey('€'.repeat(341)))).toBeUndefined();
  });

  it('dot segments are keys by default and refused under the strict policy', () => {
    expect(code(() => validateObjectKey('../etc/passwd'))).toBeUndefined();
    const strict = { ...OPTIONS, keyPolicy: { rejectDotSegments: true } };
    expect(code(() => parseRequestTarget('h', '/b/a/../c', strict))).toBe('InvalidObjectName');
    expect(code(() => parseRequestTarget('h', '/b/./c', strict))).toBe('InvalidObjectName');
    expect(parseRequestTarget('h', '/b/a/..c/.d', strict)).toMatchObject({ key: 'a/..c/.d' });
  });

  it('refuses empty keys and lone surrogates', () => {
    expect(code(() => validateObjectKey(''))).toBe('InvalidObjectName');
    expect(code(() => validateObjectKey('a\uD800b'))).toBe('InvalidObjectName');
    expect(code(() => validateObjectKey('a\uDC00'))).toBe('InvalidObjectName');
    expect(code(() => validateObjectKey('😀'))).toBeUndefined();
  });

  it('hostName strips ports and keeps IPv6 brackets', () => {
    expect(hostName('[::1]:9000')).toBe('[::1]');
    expect(hostName('Example.COM:80')).toBe('example.com');
    expect(hostName('example.com')).toBe('example.com');
  });
});

describe('bucket names', () => {
  it('accepts valid names', () => {
    for (const name of ['abc', 'my-bucket', 'my.bucket.2', 'a'.repeat(63), '1bucket']) {
      expect(bucketNameProblem(name)).toBeUndefined();
    }
  });

  it('refuses invalid names with InvalidBucketName', () => {
    for (const name of [
      'ab',
      'a'.repeat(64),
      'MyBucket',
      'my_bucket',
      '-bucket',
      'bucket-',
      'my..bucket',
      'my.-bucket',
      '192.168.5.4',
      'xn--bucket',
      'sthree-bucket',
      'bucket-s3alias',
      'bucket--ol-s3',
      'bucket.mrap',
      'bucket--x-s3',
    ]) {
      expect(bucketNameProblem(name), name).toBeDefined();
      expect(code(() => validateBucketName(name))).toBe('InvalidBucketName');
    }
  });

  it('names the bucket in the error details', () => {
    try {
      validateBucketName('Bad');
      expect.unreachable();
    } catch (e) {
      expect((e as S3Error).details['BucketName']).toBe('Bad');
      expect((e as S3Error).status).toBe(400);
    }
  });
});
