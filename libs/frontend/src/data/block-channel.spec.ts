import { describe, expect, it } from 'vitest';
import { BlockChannel } from './block-channel.js';

describe('BlockChannel', () => {
  it('delivers items in order and holds the producer at capacity', async () => {
    const ch = new BlockChannel<number>(2);
    await ch.push(1);
    await ch.push(2);
    let third = false;
    const p = ch.push(3).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    const it = ch[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(1);
    await p;
    expect(third).toBe(true);
    ch.end();
    expect((await it.next()).value).toBe(2);
    expect((await it.next()).value).toBe(3);
    expect((await it.next()).done).toBe(true);
  });

  it('releases a waiting producer and drops later items once the consumer leaves', async () => {
    const ch = new BlockChannel<number>(1);
    await ch.push(1);
    const waiting = ch.push(2);
    const it = ch[Symbol.asyncIterator]();
    await it.next();
    await it.return!(undefined);
    await waiting;
    expect(ch.isAbandoned).toBe(true);
    await ch.push(3);
    const again = ch[Symbol.asyncIterator]();
    expect((await again.next()).done).toBe(true);
  });
});
