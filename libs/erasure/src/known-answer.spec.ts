// Pins the bytes each codec id writes to disk. If one of these fails after a
// dependency upgrade or a code change, existing shards would no longer decode:
// do not update the constants — keep the old behaviour under its id and
// introduce a new id instead.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cauchyEncodeMatrix } from './cauchy-matrix.js';
import { RS_CAUCHY_GF256, RS_GF256_RONOMON } from './codec-id.js';
import { loadIsalAddon } from '@platter/isal';
import { VARIANTS, patternShards } from './testing/stripes.js';

const sha256 = (parts: readonly Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

// The 5+4 rs-cauchy-gf256 parity rows: a[i][j] = 1/(i XOR j) in GF(2^8)/0x11d.
const CAUCHY_5_4_PARITY_ROWS = ['a747ba7a01', '7aba47a78e', 'ba7aa747f4', 'ad9ddd983d'];

// [codec id, k, m, shard bytes, sha256 of the m parity shards of patternShards(k, m, size)]
const KNOWN_PARITY: ReadonlyArray<readonly [string, number, number, number, string]> = [
  [RS_CAUCHY_GF256, 5, 4, 64, '27b8a0d37496c83a0fad1a716bae35f195fcf3fb9031143afd6f893505d26214'],
  [RS_CAUCHY_GF256, 2, 1, 64, '233ad5223a23e5e8edd6aa8bc8017afe6094071bb1810cba06479d6791b1138c'],
  [RS_CAUCHY_GF256, 5, 4, 4120, '05f80033caedce43c9c186bfca9d9bc7d28519c30cd416b29ff68f8930204466'],
  [RS_CAUCHY_GF256, 6, 3, 4120, 'c5553663137d0d5fbfda5921b02aba33ec44dbad37eb7d62ec41de0e7b4f26e4'],
  [RS_GF256_RONOMON, 5, 4, 64, 'a7cd97fd9c3f0d0ad3ee9c5cc97dd1b4dbb3352a759ca24d6b824884b4ba19b6'],
  [RS_GF256_RONOMON, 2, 1, 64, '4f1656b5b04f2ad9234c4ed90e9b7a79b24b69b5d8dd7cc3af9e27d6183a7557'],
  [RS_GF256_RONOMON, 5, 4, 4120, 'ac6edb73a72cc3a0e9e5cd37b7fe607aad35114ddbd30ba51b105d2c6dfc2007'],
  [RS_GF256_RONOMON, 6, 3, 4120, '1074fa4dda4f8b80655dad61f09376c045c0231d87050f3e3b7cca8170b000f6'],
];

describe('rs-cauchy-gf256 matrix', () => {
  it('is systematic with the pinned 5+4 parity rows', () => {
    const a = cauchyEncodeMatrix(5, 4);
    for (let i = 0; i < 5; i++)
      expect(Buffer.from(a.subarray(i * 5, i * 5 + 5)).toString('hex')).toBe(
        Buffer.from([0, 1, 2, 3, 4].map((j) => (i === j ? 1 : 0))).toString('hex'),
      );
    const parityRows = [0, 1, 2, 3].map((r) => Buffer.from(a.subarray((5 + r) * 5, (6 + r) * 5)).toString('hex'));
    expect(parityRows).toEqual(CAUCHY_5_4_PARITY_ROWS);
  });

  it("equals ISA-L's gf_gen_cauchy1_matrix for every tested geometry", () => {
    const isal = loadIsalAddon();
    if (!isal.ok) throw new Error(isal.reason);
    for (const [k, m] of [
      [1, 1],
      [2, 1],
      [4, 2],
      [5, 4],
      [6, 3],
      [10, 4],
      [17, 3],
      [200, 55],
    ] as const)
      expect(Buffer.from(cauchyEncodeMatrix(k, m)).equals(isal.addon.cauchyMatrix(k, m)), `${k}+${m}`).toBe(true);
  });
});

describe('known parity bytes', () => {
  for (const [id, k, m, size, expected] of KNOWN_PARITY) {
    for (const variant of VARIANTS.filter((v) => v.open(k, m).id === id)) {
      it(`${id} ${k}+${m} × ${size} B via ${variant.label}`, async () => {
        const shards = patternShards(k, m, size);
        const data = sha256(shards.slice(0, k));
        await variant.open(k, m).encode(shards);
        expect(sha256(shards.slice(0, k))).toBe(data);
        expect(sha256(shards.slice(k))).toBe(expected);
      });
    }
  }
});
