import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { checksumBase64 } from './checksum.js';
import { combineCrcs, isCombinableCrc } from './crc-combine.js';

describe('combineCrcs (FULL_OBJECT multipart checksums)', () => {
  it('equals the CRC of the concatenation, for every combinable algorithm (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('CRC32' as const, 'CRC32C' as const, 'CRC64NVME' as const),
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }),
        (algorithm, parts) => {
          const whole = Buffer.concat(parts.map((p) => Buffer.from(p)));
          const combined = combineCrcs(
            algorithm,
            parts.map((p) => ({ checksumBase64: checksumBase64(algorithm, p), size: p.length })),
          );
          expect(combined).toBe(checksumBase64(algorithm, whole));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('handles large part sizes without materialising them', () => {
    // Appending n zero bytes: combining with the CRC of n zeros must equal
    // the CRC of the data followed by n zeros.
    const n = 1_000_003;
    const data = Buffer.from('platter');
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
      const combined = combineCrcs(algorithm, [
        { checksumBase64: checksumBase64(algorithm, data), size: data.length },
        { checksumBase64: checksumBase64(algorithm, Buffer.alloc(n)), size: n },
      ]);
      expect(combined).toBe(checksumBase64(algorithm, Buffer.concat([data, Buffer.alloc(n)])));
    }
  });

  it('a single part is its own CRC; invalid input is refused', () => {
    const crc = checksumBase64('CRC32C', Buffer.from('x'));
    expect(combineCrcs('CRC32C', [{ checksumBase64: crc, size: 1 }])).toBe(crc);
    expect(() => combineCrcs('CRC32C', [])).toThrow(RangeError);
    expect(() => combineCrcs('CRC32C', [{ checksumBase64: 'nope', size: 1 }])).toThrow(S3Error);
    expect(() => combineCrcs('CRC32C', [{ checksumBase64: crc, size: -1 }])).toThrow(S3Error);
  });

  it('isCombinableCrc', () => {
    expect(isCombinableCrc('CRC64NVME')).toBe(true);
    expect(isCombinableCrc('SHA256')).toBe(false);
  });
});
