import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { formatAmzDate, parseAmzDate, parseHttpDate } from './amz-date.js';
import { parseAuthorizationHeader } from './authorization-header.js';
import { canonicalHeaderValue, canonicalRequest, describeRequest, headerValue } from './canonical-request.js';
import { signaturesEqual } from './constant-time.js';
import { parseCredential, parseSignedHeaders } from './credential.js';
import { EMPTY_SHA256, isStreamingPayload, parsePayloadHash } from './payload-hash.js';
import { awsUriEncode, canonicalQueryString, canonicalUri, parseQuery, percentDecode } from './uri-encoding.js';

describe('URI encoding', () => {
  it('encodes everything but unreserved characters, uppercase hex, UTF-8', () => {
    expect(awsUriEncode("AZaz09-_.~ !'()*/+=&€")).toBe('AZaz09-_.~%20%21%27%28%29%2A%2F%2B%3D%26%E2%82%AC');
    expect(awsUriEncode('a/b c', true)).toBe('a/b%20c');
  });

  it('canonical URI decodes once and re-encodes once, keeping / and not normalising', () => {
    expect(canonicalUri('')).toBe('/');
    expect(canonicalUri('/')).toBe('/');
    expect(canonicalUri('/test$file.text')).toBe('/test%24file.text');
    expect(canonicalUri('/test%24file.text')).toBe('/test%24file.text');
    expect(canonicalUri('/b/a%2Fb')).toBe('/b/a%2Fb');
    expect(canonicalUri('/b/a/../c/./d//e')).toBe('/b/a/../c/./d//e');
    expect(canonicalUri('/b/%7euser')).toBe('/b/~user');
    expect(canonicalUri('/b/a+b')).toBe('/b/a%2Bb');
  });

  it('query: + is a space, valueless parameters, sorting by name then value', () => {
    expect(parseQuery('a=1&b&c=x+y&&d=%2B')).toEqual([
      ['a', '1'],
      ['b', ''],
      ['c', 'x y'],
      ['d', '+'],
    ]);
    expect(canonicalQueryString(parseQuery('z=1&a=2&a=1&uploads'))).toBe('a=1&a=2&uploads=&z=1');
    expect(canonicalQueryString(parseQuery('X-Amz-Signature=s&a=b'), 'X-Amz-Signature')).toBe('a=b');
  });

  it('malformed percent escapes are InvalidURI', () => {
    expect(() => percentDecode('%E2%82')).toThrow(expect.objectContaining({ code: 'InvalidURI' }));
    expect(() => awsUriEncode('\uD800')).toThrow(S3Error);
  });
});

describe('canonical request pieces', () => {
  it('trims and collapses header values, joins repeated values with commas', () => {
    expect(canonicalHeaderValue('  a   b \t c  ')).toBe('a b c');
    expect(headerValue({ x: ['1', '2'] }, 'x')).toBe('1,2');
    expect(headerValue({}, 'x')).toBeUndefined();
  });

  it('builds the documented layout', () => {
    const request = (method: string) =>
      canonicalRequest({
        method,
        rawPath: '/test.txt',
        query: [],
        headers: { host: 'h', 'x-amz-date': '20130524T000000Z' },
        signedHeaders: ['host', 'x-amz-date'],
        payloadHash: EMPTY_SHA256,
      });
    expect(request('GET')).toBe(
      `GET\n/test.txt\n\nhost:h\nx-amz-date:20130524T000000Z\n\nhost;x-amz-date\n${EMPTY_SHA256}`,
    );
    // Methods are case-sensitive: `get` is another method, with another signature.
    expect(request('get').startsWith('get\n')).toBe(true);
  });

  it('describeRequest splits the target', () => {
    expect(describeRequest('GET', '/b/k?x=1', {})).toEqual({
      method: 'GET',
      rawPath: '/b/k',
      rawQuery: 'x=1',
      headers: {},
    });
    expect(describeRequest('GET', '/b/k', {}).rawQuery).toBe('');
  });
});

describe('dates', () => {
  it('parses and formats the basic ISO 8601 form', () => {
    expect(parseAmzDate('20130524T000000Z')?.toISOString()).toBe('2013-05-24T00:00:00.000Z');
    expect(formatAmzDate(new Date('2026-11-23T01:02:03.999Z'))).toBe('20261123T010203Z');
    for (const bad of ['20131324T000000Z', '20130231T000000Z', '20130524T250000Z', '2013-05-24T00:00:00Z', '']) {
      expect(parseAmzDate(bad), bad).toBeUndefined();
    }
  });

  it('parses HTTP dates and refuses loose strings', () => {
    expect(parseHttpDate('Fri, 24 May 2013 00:00:00 GMT')?.toISOString()).toBe('2013-05-24T00:00:00.000Z');
    expect(parseHttpDate('1')).toBeUndefined();
    expect(parseHttpDate('2013-05-24')).toBeUndefined();
    expect(parseHttpDate('Fri, 99 Foo 2013')).toBeUndefined();
  });
});

describe('Authorization header and credential parsing', () => {
  const good =
    'AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc';

  it('parses components in any order with or without spaces', () => {
    const parsed = parseAuthorizationHeader(good);
    expect(parsed.credential).toEqual({
      accessKeyId: 'AKID',
      day: '20130524',
      region: 'us-east-1',
      service: 's3',
      scope: '20130524/us-east-1/s3/aws4_request',
    });
    expect(parsed.signedHeaders).toEqual(['host', 'x-amz-date']);
    const reordered = parseAuthorizationHeader(
      'AWS4-HMAC-SHA256 Signature=abc,SignedHeaders=host,Credential=AKID/20130524/us-east-1/s3/aws4_request',
    );
    expect(reordered.signature).toBe('abc');
  });

  it('AuthorizationHeaderMalformed for duplicates, junk and oversize headers', () => {
    const malformed = expect.objectContaining({ code: 'AuthorizationHeaderMalformed' });
    expect(() => parseAuthorizationHeader(`${good}, Signature=def`)).toThrow(malformed);
    expect(() => parseAuthorizationHeader(`${good}, junk`)).toThrow(malformed);
    expect(() => parseAuthorizationHeader(good.replace('host;x-amz-date', 'Host'))).toThrow(malformed);
    expect(() => parseAuthorizationHeader(`${good}${' '.repeat(9000)}`)).toThrow(malformed);
    expect(() => parseAuthorizationHeader('AWS4-HMAC-SHA256')).toThrow(malformed);
  });

  it('credential and signed-header validation', () => {
    expect(typeof parseCredential('a/b/c')).toBe('string');
    expect(typeof parseCredential('/20130524/r/s3/aws4_request')).toBe('string');
    expect(typeof parseCredential('A/2013052/r/s3/aws4_request')).toBe('string');
    expect(typeof parseCredential('A/20130524//s3/aws4_request')).toBe('string');
    expect(parseSignedHeaders('')).toBeUndefined();
    expect(parseSignedHeaders('host;;x')).toBeUndefined();
    expect(parseSignedHeaders('host;x-amz-meta-a_b')).toEqual(['host', 'x-amz-meta-a_b']);
  });
});

describe('x-amz-content-sha256', () => {
  it('classifies every documented value', () => {
    expect(parsePayloadHash('UNSIGNED-PAYLOAD')).toEqual({ kind: 'unsigned' });
    expect(parsePayloadHash('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')).toEqual({
      kind: 'streaming-signed',
      trailer: false,
    });
    expect(parsePayloadHash('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER')).toEqual({
      kind: 'streaming-signed',
      trailer: true,
    });
    expect(parsePayloadHash('STREAMING-UNSIGNED-PAYLOAD-TRAILER')).toEqual({ kind: 'streaming-unsigned-trailer' });
    expect(parsePayloadHash(EMPTY_SHA256.toUpperCase())).toEqual({ kind: 'sha256', hex: EMPTY_SHA256 });
    expect(isStreamingPayload({ kind: 'streaming-unsigned-trailer' })).toBe(true);
    expect(isStreamingPayload({ kind: 'unsigned' })).toBe(false);
  });

  it('anything else is InvalidArgument', () => {
    for (const bad of ['', 'abc', 'STREAMING-ECDSA-P256-SHA256-PAYLOAD', `${EMPTY_SHA256}0`]) {
      expect(() => parsePayloadHash(bad), bad).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });
});

describe('signaturesEqual', () => {
  it('compares in constant time and handles length mismatch', () => {
    expect(signaturesEqual('abc', 'abc')).toBe(true);
    expect(signaturesEqual('abc', 'abd')).toBe(false);
    expect(signaturesEqual('abc', 'abcd')).toBe(false);
  });
});
