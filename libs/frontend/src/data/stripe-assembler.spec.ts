import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleStripes, BodyLengthError, type DataStripe } from './stripe-assembler.js';
import { stripeGeometry } from './stripe-geometry.js';

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of cuts) {
    if (at >= bytes.length) break;
    yield bytes.subarray(at, Math.min(bytes.length, at + c));
    at += c;
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

async function collect(it: AsyncIterable<DataStripe>): Promise<DataStripe[]> {
  const out: DataStripe[] = [];
  for await (const s of it) out.push(s);
  return out;
}

describe('assembleStripes', () => {
  it('yields the body as stripes whatever the chunking, tail zero-padded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4_000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 30 }),
        async (size, cuts) => {
          const g = stripeGeometry(size, 3, 2, 256);
          const body = randomBytes(size);
          const stripes = await collect(assembleStripes(chunked(body, cuts), g));
          expect(stripes.map((s) => s.index)).toEqual([...Array(g.stripeCount).keys()]);
          const joined = Buffer.concat(stripes.map((s) => s.data.subarray(0, s.dataBytes)));
          expect(joined.equals(body)).toBe(true);
          const tail = stripes.at(-1)!;
          expect(tail.data.length).toBe(3 * g.tailBlockSize);
          expect(tail.data.subarray(tail.dataBytes).every((b) => b === 0)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('fails with the counts when the body is short or long', async () => {
    const g = stripeGeometry(1000, 3, 2, 256);
    await expect(collect(assembleStripes(chunked(randomBytes(999), [100]), g))).rejects.toMatchObject({
      expected: 1000,
      received: 999,
    });
    await expect(collect(assembleStripes(chunked(randomBytes(1001), [500]), g))).rejects.toBeInstanceOf(
      BodyLengthError,
    );
  });
});
