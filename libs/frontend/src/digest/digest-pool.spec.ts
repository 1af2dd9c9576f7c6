import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DigestPool } from './digest-pool.js';

const pool = new DigestPool(2);
afterAll(() => pool.close());

describe('DigestPool', () => {
  it('hashes interleaved sessions off the loop to the same digests as node:crypto', async () => {
    const bodies = Array.from({ length: 5 }, () => randomBytes(300_000));
    const sessions = bodies.map(() => pool.open(['md5', 'sha256']));
    for (let off = 0; off < 300_000; off += 65_536)
      bodies.forEach((b, i) => sessions[i]!.update(b.subarray(off, off + 65_536)));
    const digests = await Promise.all(sessions.map((s) => s.digest()));
    bodies.forEach((b, i) => {
      expect(digests[i]![0]!.toString('hex')).toBe(createHash('md5').update(b).digest('hex'));
      expect(digests[i]![1]!.toString('hex')).toBe(createHash('sha256').update(b).digest('hex'));
    });
  });

  it('keeps the caller free to reuse its buffer once update returns', async () => {
    const buf = Buffer.from('hello');
    const s = pool.open(['md5']);
    s.update(buf);
    buf.fill(0);
    const [md5] = await s.digest();
    expect(md5!.toString('hex')).toBe(createHash('md5').update('hello').digest('hex'));
    expect(() => s.update(buf)).toThrow('closed');
  });
});
