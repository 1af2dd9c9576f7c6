import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import {
  assertChecksumMatches,
  CHECKSUM_ALGORITHMS,
  checksumAlgorithmOfHeader,
  checksumBase64,
  checksumHeaderName,
  createChecksumHasher,
  decodeChecksumValue,
  parseChecksumAlgorithm,
} from './checksum.js';
import { Crc64Nvme } from './crc64nvme.js';
import { compositeChecksum, etagFromMd5, md5FromEtag, multipartEtag, normalizeEtag, parseContentMd5 } from './etag.js';

const CHECK = Buffer.from('123456789');

describe('checksums', () => {
  it('match the catalogued check values for "123456789"', () => {
    // Check values from the CRC catalogue (reveng): CRC-32/ISO-HDLC, CRC-32/ISCSI, CRC-64/NVME.
    expect(createChecksumHasher('CRC32').digest().toString('hex')).toBe('00000000');
    const hex = (a: (typeof CHECKSUM_ALGORITHMS)[number]): string => {
      const h = createChecksumHasher(a);
      h.update(CHECK);
      return h.digest().toString('hex');
    };
    expect(hex('CRC32')).toBe('cbf43926');
    expect(hex('CRC32C')).toBe('e3069283');
    expect(hex('CRC64NVME')).toBe('ae8b14860a799888');
    expect(hex('SHA1')).toBe(createHash('sha1').update(CHECK).digest('hex'));
    expect(hex('SHA256')).toBe(createHash('sha256').update(CHECK).digest('hex'));
  });

  it('CRC64NVME of the empty input and a bigint view', () => {
    expect(new Crc64Nvme().digest().toString('hex')).toBe('0000000000000000');
    expect(new Crc64Nvme().update(CHECK).value()).toBe(0xae8b14860a799888n);
  });

  it('base64 as S3 sends it (CRC32C of "hello world")', () => {
    // S3 documentation example value for CRC32C("hello world") is "yZRlqg==".
    expect(checksumBase64('CRC32C', Buffer.from('hello world'))).toBe('yZRlqg==');
    expect(checksumBase64('CRC32', Buffer.from(''))).toBe('AAAAAA==');
  });

  it('incremental updates equal one-shot for every algorithm (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHECKSUM_ALGORITHMS),
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(600), { maxLength: 5 }),
        (algorithm, data, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const h = createChecksumHasher(algorithm);
          let prev = 0;
          for (const p of [...points, data.length]) {
            h.update(data.subarray(prev, p));
            prev = p;
          }
          expect(h.digest().toString('base64')).toBe(checksumBase64(algorithm, data));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('header names and algorithm parsing', () => {
    expect(checksumHeaderName('CRC64NVME')).toBe('x-amz-checksum-crc64nvme');
    expect(checksumAlgorithmOfHeader('X-Amz-Checksum-Sha256')).toBe('SHA256');
    expect(checksumAlgorithmOfHeader('x-amz-checksum-md5')).toBeUndefined();
    expect(parseChecksumAlgorithm('crc32c')).toBe('CRC32C');
    expect(() => parseChecksumAlgorithm('md5')).toThrow(S3Error);
  });

  it('decodeChecksumValue refuses wrong lengths and non-canonical base64', () => {
    expect(decodeChecksumValue('CRC32', 'yZRlqg==').length).toBe(4);
    for (const bad of ['yZRlqg', 'yZRlqgAA', '!!!!', '']) {
      expect(() => decodeChecksumValue('CRC32', bad)).toThrow(S3Error);
    }
  });

  it('assertChecksumMatches raises BadDigest on mismatch', () => {
    const computed = Buffer.from('c9946 5aa'.replace(/\s/g, ''), 'hex');
    expect(() => assertChecksumMatches('CRC32C', 'yZRlqg==', computed)).not.toThrow();
    try {
      assertChecksumMatches('CRC32C', 'AAAAAA==', computed);
      expect.unreachable();
    } catch (e) {
      expect((e as S3Error).code).toBe('BadDigest');
      expect((e as S3Error).status).toBe(400);
    }
  });
});

describe('ETags', () => {
  const md5 = (s: string): Buffer => createHash('md5').update(s).digest();

  it('single-part ETag is the quoted hex MD5', () => {
    expect(etagFromMd5(md5(''))).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
  });

  it('multipart ETag is MD5 of the binary part MD5s, hex, with -N', () => {
    const parts = [md5('a'), md5('b')];
    const expected = createHash('md5').update(Buffer.concat(parts)).digest('hex');
    expect(multipartEtag(parts)).toBe(`"${expected}-2"`);
    expect(() => multipartEtag([])).toThrow(RangeError);
  });

  it('normalizes quotes and weak prefixes and extracts MD5s', () => {
    expect(normalizeEtag('W/"abc"')).toBe('abc');
    expect(normalizeEtag(' "abc" ')).toBe('abc');
    expect(normalizeEtag('abc')).toBe('abc');
    expect(md5FromEtag('"d41d8cd98f00b204e9800998ecf8427e"')?.toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5FromEtag('"abc-2"')).toBeUndefined();
  });

  it('parseContentMd5 accepts base64 of 16 bytes only', () => {
    expect(parseContentMd5(md5('x').toString('base64')).equals(md5('x'))).toBe(true);
    for (const bad of ['', 'abc', Buffer.alloc(15).toString('base64')]) {
      try {
        parseContentMd5(bad);
        expect.unreachable();
      } catch (e) {
        expect((e as S3Error).code).toBe('InvalidDigest');
      }
    }
  });

  it('composite checksum is the checksum of raw part checksums with -N', () => {
    const a = checksumBase64('CRC32C', Buffer.from('part one'));
    const b = checksumBase64('CRC32C', Buffer.from('part two'));
    const raw = Buffer.concat([Buffer.from(a, 'base64'), Buffer.from(b, 'base64')]);
    expect(compositeChecksum('CRC32C', [a, b])).toBe(`${checksumBase64('CRC32C', raw)}-2`);
    const s = checksumBase64('SHA256', Buffer.from('x'));
    expect(compositeChecksum('SHA256', [s])).toBe(
      `${createHash('sha256').update(Buffer.from(s, 'base64')).digest('base64')}-1`,
    );
    expect(() => compositeChecksum('CRC32', ['nope'])).toThrow(S3Error);
    expect(() => compositeChecksum('CRC32', [])).toThrow(RangeError);
  });
});
