import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET, exampleLookup } from './aws-examples.fixture.js';
import { SigV4Verifier } from './verifier.js';

// Cross-check against the AWS SDK's own signer (@smithy/signature-v4, what
// @aws-sdk/client-s3 uses): whatever it signs, we must verify.

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    throw new Error('not used');
  }
}

const signer = new SignatureV4({
  credentials: { accessKeyId: EXAMPLE_ACCESS_KEY_ID, secretAccessKey: EXAMPLE_SECRET },
  region: 'us-east-1',
  service: 's3',
  sha256: NodeSha256,
  // As the S3 client: the path is already encoded, do not encode it again.
  uriEscapePath: false,
});

// How the S3 client encodes a key into the path: per segment, RFC 3986 strict.
const strictEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const encodeKey = (key: string): string => key.split('/').map(strictEncode).join('/');

const verifier = new SigV4Verifier({ regions: ['us-east-1'], lookupSecret: exampleLookup });

const KEY_CHARS = [...'abcXYZ019 /!\'()*+=&%?#~._-:;,@$[]{}^`|"<>\\', 'é', '€', '😀', '中', '\u00a0', '\t'];
const keyArb = fc.string({ unit: fc.constantFrom(...KEY_CHARS), minLength: 1, maxLength: 40 });
const queryArb = fc.dictionary(
  fc.string({ unit: fc.constantFrom(...'abcdefgh-_.'), minLength: 1, maxLength: 8 }),
  fc.string({ unit: fc.constantFrom(...KEY_CHARS), maxLength: 12 }),
  { maxKeys: 4 },
);
const metaArb = fc.dictionary(
  fc.string({ unit: fc.constantFrom(...'abcdefgh0123-'), minLength: 1, maxLength: 8 }),
  fc.string({ unit: fc.constantFrom(...'abc XYZ 019 !"#$%&()*+,-./:;<=>?@[]^_`{|}~'), maxLength: 20 }),
  { maxKeys: 3 },
);

function headersOf(signed: { headers: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k.toLowerCase()] = v;
  return out;
}

function rawQueryOf(query: Record<string, string | string[] | null>): string {
  return Object.entries(query)
    .map(([k, v]) => `${strictEncode(k)}=${strictEncode(String(v ?? ''))}`)
    .join('&');
}

describe('cross-check with @smithy/signature-v4', () => {
  const now = new Date('2026-11-23T12:00:00Z');

  it('verifies header-signed requests the SDK signer produces (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE', 'POST'),
        keyArb,
        queryArb,
        metaArb,
        async (method, key, query, meta) => {
          const headers: Record<string, string> = {
            host: 'localhost:9000',
            'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          };
          for (const [name, value] of Object.entries(meta)) headers[`x-amz-meta-${name}`] = value;
          const path = `/bucket/${encodeKey(key)}`;
          const signed = await signer.sign(
            { method, protocol: 'http:', hostname: 'localhost', port: 9000, path, query, headers },
            { signingDate: now },
          );
          const result = await verifier.verify(
            { method, rawPath: path, rawQuery: rawQueryOf(query), headers: headersOf(signed) },
            now,
          );
          expect(result.kind).toBe('signed');
        },
      ),
      { numRuns: 120 },
    );
  });

  it('verifies presigned URLs the SDK signer produces (property)', async () => {
    await fc.assert(
      fc.asyncProperty(keyArb, queryArb, fc.integer({ min: 1, max: 604_800 }), async (key, query, expiresIn) => {
        const path = `/bucket/${encodeKey(key)}`;
        // As @aws-sdk/s3-request-presigner prepares a request before presigning.
        const headers = { host: 'localhost:9000', 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' };
        const presigned = await signer.presign(
          { method: 'GET', protocol: 'http:', hostname: 'localhost', port: 9000, path, query, headers },
          { signingDate: now, expiresIn },
        );
        const result = await verifier.verify(
          {
            method: 'GET',
            rawPath: path,
            rawQuery: rawQueryOf(presigned.query ?? {}),
            headers: { host: 'localhost:9000' },
          },
          now,
        );
        expect(result).toMatchObject({ kind: 'signed', via: 'presigned' });
      }),
      { numRuns: 80 },
    );
  });

  it('rejects an SDK-signed request whose key was changed in transit', async () => {
    const path = `/bucket/${encodeKey('a b/c')}`;
    const signed = await signer.sign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: 'localhost',
        port: 9000,
        path,
        query: {},
        headers: { host: 'localhost:9000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      { signingDate: now },
    );
    await expect(
      verifier.verify(
        { method: 'GET', rawPath: `/bucket/${encodeKey('a b/d')}`, rawQuery: '', headers: headersOf(signed) },
        now,
      ),
    ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });
});
