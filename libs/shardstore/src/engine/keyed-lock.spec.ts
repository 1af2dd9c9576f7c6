import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

describe('KeyedLock', () => {
  it('runs one operation per key at a time, in arrival order, and others in parallel', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const step = (tag: string, ms: number) => async (): Promise<string> => {
      log.push(`${tag}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${tag}-`);
      return tag;
    };
    const results = await Promise.all([
      lock.run('a', step('a1', 15)),
      lock.run('a', step('a2', 1)),
      lock.run('b', step('b1', 5)),
      lock.run('a', step('a3', 1)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1', 'a3']);
    // b ran while a1 held 'a'; a2 and a3 waited their turn in order.
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'));
    expect(log.filter((e) => e.startsWith('a'))).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    expect(lock.size).toBe(0);
  });

  it('releases the key when the operation fails', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run('k', async () => 'next')).resolves.toBe('next');
    expect(lock.size).toBe(0);
  });
});
