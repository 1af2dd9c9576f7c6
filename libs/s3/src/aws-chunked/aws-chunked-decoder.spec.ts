import fc from 'fast-check';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { checksumBase64 } from '../checksums/checksum.js';
import { S3Error } from '../errors.js';
import { EXAMPLE_SECRET } from '../sigv4/aws-examples.fixture.js';
import { deriveSigningKey } from '../sigv4/signing-key.js';
import type { SignedAuth, SigningContext } from '../sigv4/verifier.js';
import { AwsChunkedDecoder, createAwsChunkedDecoder, type AwsChunkedDecoderOptions } from './aws-chunked-decoder.js';
import { encodeAwsChunked } from './aws-chunked-encoder.js';

const KEY = deriveSigningKey(EXAMPLE_SECRET, '20130524', 'us-east-1');
const EXAMPLE_SIGNING: SigningContext = {
  signingKey: KEY,
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
};

interface Outcome {
  data: Buffer;
  error: unknown;
  decoder: AwsChunkedDecoder;
}

async function decode(pieces: readonly Uint8Array[], options: AwsChunkedDecoderOptions): Promise<Outcome> {
  const decoder = new AwsChunkedDecoder(options);
  const received: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      received.push(chunk);
      cb();
    },
  });
  let error: unknown;
  try {
    await pipeline(Readable.from(pieces.map((p) => Buffer.from(p))), decoder, sink);
  } catch (e) {
    error = e;
  }
  return { data: Buffer.concat(received), error, decoder };
}

function expectCode(error: unknown, code: string): void {
  expect(error).toBeInstanceOf(S3Error);
  expect((error as S3Error).code).toBe(code);
}

// The body of the S3 API reference's chunked PUT example, built from its
// published chunk signatures (not from our encoder).
const A64K = Buffer.alloc(65536, 'a');
const A1K = Buffer.alloc(1024, 'a');
const EXAMPLE_BODY = Buffer.concat([
  Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
  A64K,
  Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
  A1K,
  Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
]);

describe('AwsChunkedDecoder, signed chunks', () => {
  it('decodes the S3 API reference example (66560 bytes, content-length 66824)', async () => {
    expect(EXAMPLE_BODY.length).toBe(66824);
    const out = await decode([EXAMPLE_BODY], { signing: EXAMPLE_SIGNING, trailer: false, decodedContentLength: 66560 });
    expect(out.error).toBeUndefined();
    expect(out.data.equals(Buffer.concat([A64K, A1K]))).toBe(true);
    expect(out.decoder.decodedLength).toBe(66560);
  });

  it('our encoder reproduces the published example byte for byte', () => {
    expect(encodeAwsChunked([A64K, A1K], { signing: EXAMPLE_SIGNING }).equals(EXAMPLE_BODY)).toBe(true);
  });

  it('decodes the S3 API reference trailing-header example (CRC32C trailer, signed)', async () => {
    const signing = {
      ...EXAMPLE_SIGNING,
      seedSignature: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
    };
    const body = Buffer.concat([
      Buffer.from('10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n'),
      A64K,
      Buffer.from('\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n'),
      A1K,
      Buffer.from('\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n'),
      Buffer.from('x-amz-checksum-crc32c:sOO8/Q==\r\n'),
      Buffer.from('x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n'),
    ]);
    const out = await decode([body], {
      signing,
      trailer: true,
      declaredTrailer: 'x-amz-checksum-crc32c',
      decodedContentLength: 66560,
    });
    expect(out.error).toBeUndefined();
    expect(out.data.length).toBe(66560);
    expect(out.decoder.checksum).toEqual({ algorithm: 'CRC32C', base64: 'sOO8/Q==' });
    expect(
      encodeAwsChunked([A64K, A1K], { signing, trailers: { 'x-amz-checksum-crc32c': 'sOO8/Q==' } }).equals(body),
    ).toBe(true);
  });

  it('decodes when fed one byte at a time', async () => {
    const small = encodeAwsChunked([Buffer.from('hello '), Buffer.from('world')], { signing: EXAMPLE_SIGNING });
    const bytes = [...small].map((b) => Uint8Array.of(b));
    const out = await decode(bytes, { signing: EXAMPLE_SIGNING, trailer: false, decodedContentLength: 11 });
    expect(out.error).toBeUndefined();
    expect(out.data.toString()).toBe('hello world');
  });

  it('a bad chunk signature fails before that chunk reaches downstream', async () => {
    const body = Buffer.from(EXAMPLE_BODY);
    const at = body.indexOf('0055627c');
    body[at] = 0x31; // '0' -> '1'
    const out = await decode([body], { signing: EXAMPLE_SIGNING, trailer: false });
    expectCode(out.error, 'SignatureDoesNotMatch');
    // Only the first, verified chunk was released.
    expect(out.data.length).toBe(65536);
  });

  it('a flipped data byte fails its chunk and releases nothing of it', async () => {
    const body = Buffer.from(EXAMPLE_BODY);
    body[100] = 0x62; // an 'a' in the first chunk becomes 'b'
    const out = await decode([body], { signing: EXAMPLE_SIGNING, trailer: false });
    expectCode(out.error, 'SignatureDoesNotMatch');
    expect(out.data.length).toBe(0);
  });

  it('a reordered chunk fails (signatures are chained)', async () => {
    const c1 = Buffer.from('x'.repeat(10));
    const c2 = Buffer.from('y'.repeat(10));
    const good = encodeAwsChunked([c1, c2], { signing: EXAMPLE_SIGNING });
    // Swap: sign c2 first, then c1, but present them with the original seed chain broken.
    const swapped = encodeAwsChunked([c2], { signing: EXAMPLE_SIGNING });
    const out = await decode([swapped], {
      signing: { ...EXAMPLE_SIGNING, seedSignature: 'f'.repeat(64) },
      trailer: false,
    });
    expectCode(out.error, 'SignatureDoesNotMatch');
    expect((await decode([good], { signing: EXAMPLE_SIGNING, trailer: false })).data.toString()).toBe(
      'x'.repeat(10) + 'y'.repeat(10),
    );
  });

  it('the final empty chunk is verified too', async () => {
    const body = Buffer.from(EXAMPLE_BODY);
    const at = body.indexOf('b6c6ea8a');
    body[at] = 0x63; // 'b' -> 'c'
    const out = await decode([body], { signing: EXAMPLE_SIGNING, trailer: false });
    expectCode(out.error, 'SignatureDoesNotMatch');
    expect(out.data.length).toBe(66560);
  });

  it('requires chunk-signature on every chunk', async () => {
    const out = await decode([Buffer.from('5\r\nhello\r\n0\r\n\r\n')], { signing: EXAMPLE_SIGNING, trailer: false });
    expectCode(out.error, 'InvalidRequest');
  });

  it('refuses a signed chunk larger than the cap before buffering it', async () => {
    const body = encodeAwsChunked([Buffer.alloc(2048, 1)], { signing: EXAMPLE_SIGNING });
    const out = await decode([body], { signing: EXAMPLE_SIGNING, trailer: false, maxSignedChunkBytes: 1024 });
    expectCode(out.error, 'InvalidRequest');
    expect(out.data.length).toBe(0);
  });

  it('signed trailer: verifies the trailer signature and the checksum', async () => {
    const data = [Buffer.from('abc'), Buffer.from('def')];
    const crc = checksumBase64('CRC32C', Buffer.from('abcdef'));
    const body = encodeAwsChunked(data, { signing: EXAMPLE_SIGNING, trailers: { 'x-amz-checksum-crc32c': crc } });
    const options = {
      signing: EXAMPLE_SIGNING,
      trailer: true,
      declaredTrailer: 'x-amz-checksum-crc32c',
      decodedContentLength: 6,
    };
    const ok = await decode([body], options);
    expect(ok.error).toBeUndefined();
    expect(ok.data.toString()).toBe('abcdef');
    expect(ok.decoder.checksum).toEqual({ algorithm: 'CRC32C', base64: crc });
    expect(ok.decoder.trailers.get('x-amz-checksum-crc32c')).toBe(crc);

    const tamperedSig = Buffer.from(
      body.toString('latin1').replace(/x-amz-trailer-signature:./, 'x-amz-trailer-signature:0'),
      'latin1',
    );
    expectCode((await decode([tamperedSig], options)).error, 'SignatureDoesNotMatch');

    // A wrong checksum, correctly signed: the signature passes, the checksum does not.
    const wrong = encodeAwsChunked(data, {
      signing: EXAMPLE_SIGNING,
      trailers: { 'x-amz-checksum-crc32c': 'AAAAAA==' },
    });
    expectCode((await decode([wrong], options)).error, 'BadDigest');

    const unsignedTrailer = encodeAwsChunked(data, { signing: EXAMPLE_SIGNING });
    expectCode((await decode([unsignedTrailer], options)).error, 'MalformedTrailerError');
  });
});

describe('AwsChunkedDecoder, STREAMING-UNSIGNED-PAYLOAD-TRAILER (what current SDKs send)', () => {
  const options = { trailer: true, declaredTrailer: 'x-amz-checksum-crc32', decodedContentLength: 11 };
  const crc = checksumBase64('CRC32', Buffer.from('hello world'));

  it('decodes an SDK-shaped body and verifies the trailing CRC32', async () => {
    const body = Buffer.from(`6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`);
    const out = await decode([body], options);
    expect(out.error).toBeUndefined();
    expect(out.data.toString()).toBe('hello world');
    expect(out.decoder.checksum).toEqual({ algorithm: 'CRC32', base64: crc });
  });

  it('BadDigest when the trailing checksum does not match', async () => {
    const body = encodeAwsChunked([Buffer.from('hello world')], { trailers: { 'x-amz-checksum-crc32': 'AAAAAA==' } });
    expectCode((await decode([body], options)).error, 'BadDigest');
  });

  it('MalformedTrailerError for a missing, unexpected or duplicated trailer', async () => {
    const missing = encodeAwsChunked([Buffer.from('hello world')]);
    expectCode((await decode([missing], options)).error, 'MalformedTrailerError');
    const other = encodeAwsChunked([Buffer.from('hello world')], {
      trailers: { 'x-amz-checksum-crc32': crc, 'x-amz-meta-x': '1' },
    });
    expectCode((await decode([other], options)).error, 'MalformedTrailerError');
    const dup = Buffer.from(
      `b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:${crc}\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`,
    );
    expectCode((await decode([dup], options)).error, 'MalformedTrailerError');
    const trailerWhenNoneExpected = Buffer.from(`b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`);
    expectCode((await decode([trailerWhenNoneExpected], { trailer: false })).error, 'MalformedTrailerError');
  });

  it('accepts no trailer when none was announced, ignoring chunk extensions', async () => {
    const out = await decode([Buffer.from('b;foo=bar\r\nhello world\r\n0\r\n\r\n')], { trailer: true });
    expect(out.error).toBeUndefined();
    expect(out.data.toString()).toBe('hello world');
    expect(out.decoder.checksum).toBeUndefined();
  });

  it('refuses an x-amz-trailer that is not a checksum, or without a trailer mode', () => {
    expect(() => new AwsChunkedDecoder({ trailer: true, declaredTrailer: 'x-amz-meta-a' })).toThrow(S3Error);
    expect(() => new AwsChunkedDecoder({ trailer: false, declaredTrailer: 'x-amz-checksum-crc32' })).toThrow(S3Error);
  });
});

describe('AwsChunkedDecoder, framing and lengths', () => {
  it('IncompleteBody when the body stops early, in any state', async () => {
    const full = encodeAwsChunked([Buffer.from('hello world')]);
    for (const cut of [0, 2, 5, 10, full.length - 3, full.length - 1]) {
      expectCode((await decode([full.subarray(0, cut)], { trailer: false })).error, 'IncompleteBody');
    }
  });

  it('IncompleteBody when fewer bytes than x-amz-decoded-content-length arrive', async () => {
    const body = encodeAwsChunked([Buffer.from('hello')]);
    expectCode((await decode([body], { trailer: false, decodedContentLength: 6 })).error, 'IncompleteBody');
  });

  it('refuses more bytes than x-amz-decoded-content-length before emitting them', async () => {
    const body = encodeAwsChunked([Buffer.from('hello'), Buffer.from('world')]);
    const out = await decode([body], { trailer: false, decodedContentLength: 7 });
    expectCode(out.error, 'InvalidRequest');
    expect(out.data.toString()).toBe('hello');
  });

  it('refuses bad sizes, missing CRLFs, endless header lines and trailing garbage', async () => {
    const bad = [
      'zz\r\nhello\r\n0\r\n\r\n',
      '5\nhello\r\n0\r\n\r\n',
      '5\r\nhelloXX0\r\n\r\n',
      '10000000000000000\r\n',
      `${'0'.repeat(5000)}5\r\nhello\r\n0\r\n\r\n`,
      '5\r\nhello\r\n0\r\n\r\nextra',
    ];
    for (const body of bad) {
      const out = await decode([Buffer.from(body)], { trailer: false });
      expectCode(out.error, 'InvalidRequest');
    }
  });

  it('round-trips any data, chunking and transport split (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (data, chunkSizes, splits, signedMode) => {
          const chunks: Uint8Array[] = [];
          for (let off = 0, i = 0; off < data.length; i++) {
            const n = chunkSizes[i % chunkSizes.length] as number;
            chunks.push(data.subarray(off, off + n));
            off += n;
          }
          const crc = checksumBase64('CRC64NVME', data);
          const body = encodeAwsChunked(chunks, {
            ...(signedMode ? { signing: EXAMPLE_SIGNING } : {}),
            trailers: { 'x-amz-checksum-crc64nvme': crc },
          });
          const pieces: Buffer[] = [];
          for (let off = 0, i = 0; off < body.length; i++) {
            const n = splits[i % splits.length] as number;
            pieces.push(body.subarray(off, off + n));
            off += n;
          }
          const out = await decode(pieces, {
            ...(signedMode ? { signing: EXAMPLE_SIGNING } : {}),
            trailer: true,
            declaredTrailer: 'x-amz-checksum-crc64nvme',
            decodedContentLength: data.length,
          });
          expect(out.error).toBeUndefined();
          expect(out.data.equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('createAwsChunkedDecoder', () => {
  const base = {
    kind: 'signed',
    via: 'header',
    accessKeyId: 'A',
    region: 'us-east-1',
    signedHeaders: ['host'],
    signing: EXAMPLE_SIGNING,
  } as const;

  it('configures signed mode from a verified request', async () => {
    const auth: SignedAuth = {
      ...base,
      payload: { kind: 'streaming-signed', trailer: false },
      decodedContentLength: 66560,
    };
    const decoder = createAwsChunkedDecoder(auth);
    const sink: Buffer[] = [];
    await pipeline(
      Readable.from([EXAMPLE_BODY]),
      decoder,
      new Writable({
        write(c: Buffer, _e, cb) {
          sink.push(c);
          cb();
        },
      }),
    );
    expect(Buffer.concat(sink).length).toBe(66560);
  });

  it('refuses a payload mode that is not aws-chunked', () => {
    expect(() => createAwsChunkedDecoder({ ...base, payload: { kind: 'unsigned' } })).toThrow(RangeError);
  });
});
