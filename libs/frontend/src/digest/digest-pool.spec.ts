import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DigestPool, LOCAL_DIGEST_MAX_BYTES, type WorkerDigest } from './digest-pool.js';

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

  it('keeps the caller free to reuse its buffer once update returns, on a thread or on the loop', async () => {
    for (const size of [undefined, 5]) {
      const buf = Buffer.from('hello');
      const s = pool.open(['md5'], size);
      s.update(buf);
      buf.fill(0);
      const [md5] = await s.digest();
      expect(md5!.toString('hex')).toBe(createHash('md5').update('hello').digest('hex'));
      expect(() => s.update(buf)).toThrow('closed');
    }
  });

  it('hashes small bodies on the loop and large ones on a thread, to the same digests', async () => {
    for (const size of [0, 4096, LOCAL_DIGEST_MAX_BYTES, LOCAL_DIGEST_MAX_BYTES + 1]) {
      const body = randomBytes(size);
      const s = pool.open(['md5', 'sha256'], size);
      expect(s.constructor.name).toBe(size <= LOCAL_DIGEST_MAX_BYTES ? 'LocalDigestSession' : 'WorkerDigestSession');
      for (let off = 0; off < size; off += 1000) s.update(body.subarray(off, off + 1000));
      const [md5, sha256] = await s.digest();
      expect(md5!.toString('hex')).toBe(createHash('md5').update(body).digest('hex'));
      expect(sha256!.toString('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    }
  });

  it('fails the sessions of a thread that dies instead of leaving them waiting, and hashes on a new thread after', async () => {
    const one = new DigestPool(1);
    try {
      const healthy = one.open(['md5']);
      healthy.update(Buffer.from('a'));
      // An algorithm the thread cannot make: it throws there, uncaught, and the thread exits.
      const broken = one.open(['no-such-hash' as WorkerDigest]);
      await expect(broken.digest()).rejects.toThrow(/exited/);
      await expect(healthy.digest()).rejects.toThrow(/exited/);
      const after = one.open(['md5']);
      after.update(Buffer.from('hello'));
      const [md5] = await after.digest();
      expect(md5!.toString('hex')).toBe(createHash('md5').update('hello').digest('hex'));
    } finally {
      await one.close();
    }
  });
});
