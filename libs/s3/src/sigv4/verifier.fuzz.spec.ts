import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import {
  EXAMPLE_ACCESS_KEY_ID,
  EXAMPLE_NOW,
  exampleGetWithRangeHeaders,
  exampleLookup,
} from './aws-examples.fixture.js';
import type { RequestDescription } from './canonical-request.js';
import { EMPTY_SHA256 } from './payload-hash.js';
import { SigV4Verifier } from './verifier.js';

// Forged, mutated and malformed credentials (RELIABILITY.md, G8 and layer 2):
// the verifier lets nothing in that was not signed with the secret, and says
// why with an S3 error a client is told about (400 or 403), never with
// another exception.

const verifier = new SigV4Verifier({ regions: ['us-east-1'], lookupSecret: exampleLookup });
const HOST = 'examplebucket.s3.amazonaws.com';

/** The API reference's signed GET with a Range: verifies as is (verifier.spec). */
const GOOD: RequestDescription = {
  method: 'GET',
  rawPath: '/test.txt',
  rawQuery: '',
  headers: exampleGetWithRangeHeaders(),
};

async function outcome(request: RequestDescription): Promise<'signed' | 'anonymous' | S3Error> {
  try {
    return (await verifier.verify(request, EXAMPLE_NOW)).kind;
  } catch (error) {
    if (error instanceof S3Error) return error;
    throw error;
  }
}

const clientError = (r: 'signed' | 'anonymous' | S3Error): boolean =>
  r instanceof S3Error && (r.status === 400 || r.status === 403);

/** Changes one character of `s` (a different one, so that it really changes). */
const mutated = (s: string) =>
  fc
    .tuple(fc.nat(), fc.constantFrom('0', 'a', 'Z', ' ', '/', '%', '\u00e9', ''))
    .map(([at, ch]) => {
      const i = at % Math.max(1, s.length);
      return s.slice(0, i) + (s[i] === ch ? '1' : ch) + s.slice(i + 1);
    })
    .filter((m) => m !== s);

describe('SigV4Verifier on forged and hostile requests', () => {
  it('the untouched example verifies (so the properties below test changes, not a broken base)', async () => {
    expect(await outcome(GOOD)).toBe('signed');
  });

  it('refuses a signed request with any one character of its method, path, query or signed headers changed', async () => {
    const fields = ['host', 'range', 'x-amz-content-sha256', 'x-amz-date', 'authorization'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated(GOOD.rawPath).map((rawPath) => ({ ...GOOD, rawPath })),
          fc.constantFrom('PUT', 'HEAD', 'POST', 'DELETE', 'get', 'Get').map((method) => ({ ...GOOD, method })),
          fc.constantFrom('x', 'versionId=1', 'partNumber=1', 'range=bytes%3D0-9').map((rawQuery) => ({
            ...GOOD,
            rawQuery,
          })),
          fc.constantFrom(...fields).chain((name) =>
            mutated(GOOD.headers[name] as string).map((value) => ({
              ...GOOD,
              headers: { ...GOOD.headers, [name]: value },
            })),
          ),
        ),
        async (request) => {
          const r = await outcome(request);
          expect(clientError(r), `${String(r)} for ${JSON.stringify(request)}`).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers any Authorization header, date, payload hash or presigned query with a value or a 400/403', async () => {
    const authTokens = fc.constantFrom(
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 ',
      'AWS ',
      'Credential=',
      `${EXAMPLE_ACCESS_KEY_ID}/20130524/us-east-1/s3/aws4_request`,
      '/',
      ',',
      ', ',
      'SignedHeaders=',
      'host;x-amz-date',
      'host;;',
      'Signature=',
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      '=',
      '\u0000',
      '😀',
    );
    const text = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.array(authTokens, { maxLength: 12 }).map((t) => t.join('')),
    );
    const queryParam = fc
      .tuple(
        fc.constantFrom(
          'X-Amz-Algorithm',
          'X-Amz-Credential',
          'X-Amz-Date',
          'X-Amz-Expires',
          'X-Amz-SignedHeaders',
          'X-Amz-Signature',
          'X-Amz-Security-Token',
          'x',
        ),
        text,
      )
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
    await fc.assert(
      fc.asyncProperty(
        fc.option(text, { nil: undefined }),
        fc.option(fc.oneof(text, fc.constant('20130524T000000Z')), { nil: undefined }),
        fc.option(
          fc.oneof(text, fc.constantFrom(EMPTY_SHA256, 'UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER')),
          {
            nil: undefined,
          },
        ),
        fc.array(queryParam, { maxLength: 7 }).map((q) => q.join('&')),
        async (authorization, date, payload, rawQuery) => {
          const headers: Record<string, string> = { host: HOST };
          if (authorization !== undefined) headers['authorization'] = authorization;
          if (date !== undefined) headers['x-amz-date'] = date;
          if (payload !== undefined) headers['x-amz-content-sha256'] = payload;
          const r = await outcome({ method: 'GET', rawPath: '/test.txt', rawQuery, headers });
          // Without the secret nothing verifies; only a request with no credentials at all is anonymous.
          expect(r).not.toBe('signed');
          if (r === 'anonymous') return;
          expect(clientError(r), `${String(r)}`).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
