import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShardIndexError, ShardSizeError, TooFewShardsError } from './errors.js';
import { StripePool } from './stripe-pool.js';
import { VARIANTS, cloneShards, patternShards } from './testing/stripes.js';

const GEOMETRIES = [
  [2, 1],
  [4, 2],
  [5, 4],
  [6, 3],
] as const;

// Modest: the machine is shared, and each run encodes and decodes a whole stripe.
const ROUND_TRIP_RUNS = 20;

/** k + m random shards of one size (a multiple of 8, so every codec accepts it), data only. */
const stripeArb = (k: number, m: number) =>
  fc
    .integer({ min: 1, max: 96 })
    .chain((words) =>
      fc.tuple(
        fc.array(fc.uint8Array({ minLength: words * 8, maxLength: words * 8 }), { minLength: k, maxLength: k }),
        fc.subarray([...Array(k + m).keys()], { minLength: 0, maxLength: m }),
        fc.boolean(),
      ),
    )
    .map(([data, lost, separate]) => ({ data, lost, separate }));

describe.each(VARIANTS)('$label', (variant) => {
  describe.each(GEOMETRIES)('%i+%i', (k, m) => {
    it('rebuilds any ≤ m lost shards byte for byte', async () => {
      const codec = variant.open(k, m);
      await fc.assert(
        fc.asyncProperty(stripeArb(k, m), async ({ data, lost, separate }) => {
          const size = data[0]!.byteLength;
          // Both layouts: pooled contiguous stripes (fast path) and unrelated buffers.
          const contiguous = new StripePool({ k, m, shardSize: size, maxIdle: 1 }).acquire();
          const shards = separate ? Array.from({ length: k + m }, () => Buffer.alloc(size)) : [...contiguous.shards];
          data.forEach((d, i) => shards[i]!.set(d));
          await codec.encode(shards);
          data.forEach((d, i) => expect(Buffer.from(d).equals(shards[i]!)).toBe(true));
          const expected = cloneShards(shards);

          for (const i of lost) shards[i]!.fill(0xa5);
          const present = [...Array(k + m).keys()].filter((i) => !lost.includes(i));
          const rebuilt = await codec.reconstruct(shards, present);
          expect(rebuilt).toEqual([...lost].sort((a, b) => a - b));
          shards.forEach((s, i) => expect(s.equals(expected[i]!), `shard ${i}`).toBe(true));
        }),
        { numRuns: ROUND_TRIP_RUNS },
      );
    });

    it('rebuilds only the requested targets', async () => {
      const codec = variant.open(k, m);
      const shards = patternShards(k, m, 64);
      await codec.encode(shards);
      const expected = cloneShards(shards);
      const lost = [...Array(Math.min(m, k)).keys()]; // the first data shards
      for (const i of lost) shards[i]!.fill(0);
      const present = [...Array(k + m).keys()].filter((i) => !lost.includes(i));
      expect(await codec.reconstruct(shards, present, [lost[0]!])).toEqual([lost[0]]);
      expect(shards[lost[0]!]!.equals(expected[lost[0]!]!)).toBe(true);
      expect(await codec.reconstruct(shards, present, [])).toEqual([]);
    });
  });

  it('decodes every erasure pattern of 5+4 (exhaustive, 255 patterns)', async () => {
    const codec = variant.open(5, 4);
    const shards = patternShards(5, 4, 64);
    await codec.encode(shards);
    const expected = cloneShards(shards);
    let patterns = 0;
    for (let mask = 1; mask < 1 << 9; mask++) {
      const lost = [...Array(9).keys()].filter((i) => (mask >> i) & 1);
      if (lost.length > 4) continue;
      const work = cloneShards(expected);
      for (const i of lost) work[i]!.fill(0);
      await codec.reconstruct(
        work,
        [...Array(9).keys()].filter((i) => !lost.includes(i)),
      );
      work.forEach((s, i) => expect(s.equals(expected[i]!), `lost ${lost.join(',')} shard ${i}`).toBe(true));
      patterns++;
    }
    expect(patterns).toBe(255);
  });

  it('throws TooFewShardsError below k present shards', async () => {
    const codec = variant.open(5, 4);
    const shards = patternShards(5, 4, 64);
    const err = await codec.reconstruct(shards, [0, 1, 2, 8]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooFewShardsError);
    expect(err).toMatchObject({ code: 'TOO_FEW_SHARDS', present: 4, k: 5 });
  });

  it('throws ShardSizeError for mismatched, empty or misaligned shards', async () => {
    const codec = variant.open(4, 2);
    const mismatched = patternShards(4, 2, 64);
    mismatched[5] = Buffer.alloc(72);
    await expect(codec.encode(mismatched)).rejects.toBeInstanceOf(ShardSizeError);
    await expect(codec.reconstruct(mismatched, [0, 1, 2, 3])).rejects.toBeInstanceOf(ShardSizeError);
    await expect(codec.encode(patternShards(4, 2, 0))).rejects.toMatchObject({ code: 'BAD_SHARD_SIZE' });
    if (codec.shardAlignment > 1)
      await expect(codec.encode(patternShards(4, 2, codec.shardAlignment + 1))).rejects.toBeInstanceOf(ShardSizeError);
    else await expect(codec.encode(patternShards(4, 2, 13))).resolves.toBeUndefined();
  });

  it('throws ShardIndexError for a wrong shard count or bad indices', async () => {
    const codec = variant.open(4, 2);
    const shards = patternShards(4, 2, 64);
    await expect(codec.encode(shards.slice(0, 5))).rejects.toBeInstanceOf(ShardIndexError);
    await expect(codec.reconstruct(shards, [0, 1, 2, 6])).rejects.toBeInstanceOf(ShardIndexError);
    await expect(codec.reconstruct(shards, [0, 1, 2, 2, 3])).rejects.toBeInstanceOf(ShardIndexError);
    await expect(codec.reconstruct(shards, [0, 1, 2, 3], [3])).rejects.toBeInstanceOf(ShardIndexError);
    await expect(codec.reconstruct(shards, [0, 1, 2, 3], [4, 4])).rejects.toMatchObject({ code: 'BAD_SHARD_INDEX' });
  });
});

describe('implementations of rs-cauchy-gf256', () => {
  it('agree byte for byte on parity and on reconstruction', async () => {
    const [isal, pool, js] = VARIANTS.filter((v) => v.label !== 'ronomon').map((v) => v.open(6, 3));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 200, maxLength: 200 }), { minLength: 6, maxLength: 6 }),
        async (data) => {
          const outputs = [];
          for (const codec of [isal!, pool!, js!]) {
            const shards = [...data.map((d) => Buffer.from(d)), ...[0, 1, 2].map(() => Buffer.alloc(200))];
            await codec.encode(shards);
            outputs.push(Buffer.concat(shards.slice(6)).toString('hex'));
          }
          expect(outputs[1]).toBe(outputs[0]);
          expect(outputs[2]).toBe(outputs[0]);
        },
      ),
      { numRuns: 15 },
    );
  });
});
