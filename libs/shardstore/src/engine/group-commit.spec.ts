import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.js';

describe('GroupCommitter', () => {
  it('batches concurrent submissions, caps batch size, and keeps per-request outcomes', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommitter<number, number>({ windowMs: 0, maxBatch: 4 }, async (reqs) => {
      batches.push(reqs);
      await new Promise((r) => setTimeout(r, 5));
      return reqs.map((r) => (r % 5 === 0 ? { ok: false, error: new Error(`bad ${r}`) } : { ok: true, value: r * 2 }));
    });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => gc.submit(i + 1)));
    expect(batches.every((b) => b.length <= 4)).toBe(true);
    expect(batches.flat().sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(batches.length).toBeLessThanOrEqual(4);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(results[4]).toMatchObject({ status: 'rejected', reason: { message: 'bad 5' } });
    expect(gc.requests).toBe(10);
  });

  it('overlaps two batches when they release early, with pipelineDepth 2', async () => {
    let concurrent = 0;
    let peak = 0;
    const gc = new GroupCommitter<number, number>(
      { windowMs: 0, maxBatch: 2, pipelineDepth: 2 },
      async (reqs, release) => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        release();
        await new Promise((r) => setTimeout(r, 10));
        concurrent--;
        return reqs.map((value) => ({ ok: true, value }));
      },
    );
    await Promise.all(Array.from({ length: 8 }, (_, i) => gc.submit(i)));
    expect(peak).toBe(2);
    await gc.drain();
  });

  it('waits up to the window for company when idle', async () => {
    const sizes: number[] = [];
    const gc = new GroupCommitter<number, number>({ windowMs: 30, maxBatch: 100 }, async (reqs) => {
      sizes.push(reqs.length);
      return reqs.map((value) => ({ ok: true, value }));
    });
    const first = gc.submit(1);
    await new Promise((r) => setTimeout(r, 10));
    const second = gc.submit(2);
    await Promise.all([first, second]);
    expect(sizes).toEqual([2]);
  });

  it('rejects the whole batch when the commit throws, and drains', async () => {
    const gc = new GroupCommitter<number, number>({ windowMs: 0, maxBatch: 10 }, async () => {
      throw new Error('disk gone');
    });
    const a = gc.submit(1);
    const b = gc.submit(2);
    await expect(a).rejects.toThrow('disk gone');
    await expect(b).rejects.toThrow('disk gone');
    await gc.drain();
  });
});
