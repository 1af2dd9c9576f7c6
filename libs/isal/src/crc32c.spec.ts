import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRC32C_IMPLEMENTATION, crc32c, portableCrc32cOf } from './crc32c.js';
import { loadIsalAddon } from './isal-addon.js';

describe('crc32c', () => {
  it('gives the CRC32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('runs ISA-L where the addon is built (the bootstrap builds it here)', () => {
    expect(CRC32C_IMPLEMENTATION).toBe(loadIsalAddon().ok ? 'isa-l' : 'node-rs');
  });

  it('agrees with the portable implementation, whole and continued, on any bytes and offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), fc.nat({ max: 64 }), (bytes, initial, cut) => {
        const init = initial >>> 0;
        const at = Math.min(cut, bytes.length);
        // A subarray checks that the byte offset inside the ArrayBuffer is honoured.
        const tail = bytes.subarray(at);
        expect(crc32c(tail, init)).toBe(portableCrc32cOf(tail, init));
        expect(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at)))).toBe(portableCrc32cOf(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects what is not bytes with a typed error rather than crashing', () => {
    const isal = loadIsalAddon();
    if (!isal.ok) {
      expect(isal.reason).toMatch(/ISA-L|addon|platform/);
      return;
    }
    expect(() => isal.addon.crc32c('abc' as unknown as Uint8Array)).toThrow(RangeError);
    expect(() => isal.addon.crc32c(new Uint16Array(2) as unknown as Uint8Array)).toThrow(RangeError);
  });
});
