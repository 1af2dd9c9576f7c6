import { describe, expect, it } from 'vitest';
import { Wakeup } from './wakeup.js';

describe('Wakeup', () => {
  it('tells a notify apart from a timeout, and a notify before the wait is not lost', async () => {
    const wakeup = new Wakeup();
    // A quiet wait ends by its timeout: the loops re-probe / re-ack only then.
    expect(await wakeup.wait(5)).toBe(false);

    const waiting = wakeup.wait(10_000);
    wakeup.notify();
    expect(await waiting).toBe(true);

    // Level-triggered: a notify with nobody waiting wakes the next wait at once, once.
    wakeup.notify();
    expect(await wakeup.wait(10_000)).toBe(true);
    expect(await wakeup.wait(5)).toBe(false);
  });

  it('ends a wait when its signal aborts, as not notified', async () => {
    const wakeup = new Wakeup();
    const stop = new AbortController();
    const waiting = wakeup.wait(10_000, stop.signal);
    stop.abort();
    expect(await waiting).toBe(false);
    expect(await wakeup.wait(10_000, stop.signal)).toBe(false);
  });
});
