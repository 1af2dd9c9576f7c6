import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CRC32, CRC32C, CRC64NVME, crcCombine, crcOf } from './crc-math.js';
import { multipartEtag, objectChecksum } from './object-checksum.js';
import { commonV1 } from '@platter/proto';

describe('CRC math for multipart checksums', () => {
  it('matches the standard check values', () => {
    const check = Buffer.from('123456789');
    expect(crcOf(CRC32, check)).toBe(0xcbf43926n);
    expect(crcOf(CRC32C, check)).toBe(0xe3069283n);
    expect(crcOf(CRC64NVME, check)).toBe(0xae8b14860a799888n);
  });

  it('combines part CRCs into the CRC of the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const whole = Buffer.concat([a, b]);
        const n = BigInt(b.length);
        expect(crcCombine(CRC32, BigInt(crc32(a)), BigInt(crc32(b)), n)).toBe(BigInt(crc32(whole)));
        expect(crcCombine(CRC32C, BigInt(crc32c(Buffer.from(a))), BigInt(crc32c(Buffer.from(b))), n)).toBe(
          BigInt(crc32c(whole)),
        );
        expect(crcCombine(CRC64NVME, crcOf(CRC64NVME, a), crcOf(CRC64NVME, b), n)).toBe(crcOf(CRC64NVME, whole));
      }),
      { numRuns: 300 },
    );
  });

  it('forms S3 multipart ETags and full-object checksums', () => {
    const md5s = ['5d41402abc4b2a76b9719d911017c592', '7d793037a0760186574b0282f2f435e7'];
    expect(multipartEtag(md5s)).toMatch(/^[0-9a-f]{32}-2$/);
    const a = Buffer.from('hello ');
    const b = Buffer.from('world');
    const part = (data: Buffer): { value: Uint8Array; size: bigint } => {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(crc32(data));
      return { value: v, size: BigInt(data.length) };
    };
    const full = objectChecksum(commonV1.ChecksumAlgorithm.CRC32, commonV1.ChecksumType.FULL_OBJECT, [
      part(a),
      part(b),
    ]);
    expect(Buffer.from(full?.value ?? []).readUInt32BE(0)).toBe(crc32(Buffer.concat([a, b])));
    // SHA digests cannot be combined into a full-object checksum.
    expect(
      objectChecksum(commonV1.ChecksumAlgorithm.SHA256, commonV1.ChecksumType.FULL_OBJECT, [part(a)]),
    ).toBeUndefined();
  });
});
