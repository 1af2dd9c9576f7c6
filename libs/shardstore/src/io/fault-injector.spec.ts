import { describe, expect, it } from 'vitest';
import { FaultInjectingIo, FaultInjector } from './fault-injector.js';
import { SimDiskIo } from './sim-disk-io.js';

async function setup(): Promise<{ faults: FaultInjector; io: FaultInjectingIo }> {
  const sim = new SimDiskIo();
  await sim.mkdir('/d');
  const faults = new FaultInjector(5);
  return { faults, io: new FaultInjectingIo(sim, faults) };
}

describe('FaultInjector', () => {
  it('fails matching operations a given number of times, then retires the rule', async () => {
    const { faults, io } = await setup();
    const f = await io.open('/d/a', 'create');
    faults.add({ ops: ['sync'], fail: 'EIO', times: 2 });
    await f.write(Buffer.from('x'), 0, 1, 0);
    await expect(f.datasync()).rejects.toMatchObject({ code: 'EIO' });
    await expect(f.datasync()).rejects.toMatchObject({ code: 'EIO' });
    await expect(f.datasync()).resolves.toBeUndefined();
  });

  it('delays, filters by path, and corrupts reads and writes by one bit', async () => {
    const { faults, io } = await setup();
    const a = await io.open('/d/a', 'create');
    const b = await io.open('/d/b', 'create');
    const data = Buffer.alloc(64, 0x55);
    await a.write(data, 0, 64, 0);
    faults.add({ ops: ['read'], pathIncludes: '/d/a', delayMs: 30, times: 1 });
    const t0 = performance.now();
    await a.read(Buffer.alloc(64), 0, 64, 0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    faults.add({ ops: ['write'], pathIncludes: '/d/b', corrupt: true, times: 1 });
    await b.write(data, 0, 64, 0);
    const back = Buffer.alloc(64);
    await b.read(back, 0, 64, 0);
    let diff = 0;
    for (let i = 0; i < 64; i++) diff += (back[i]! ^ data[i]!).toString(2).split('1').length - 1;
    expect(diff).toBe(1);
    expect(data.every((v) => v === 0x55)).toBe(true); // the caller's buffer is untouched
  });

  it('applies write and sync rules to a durable write, which is both', async () => {
    const { faults, io } = await setup();
    const f = await io.open('/d/a', 'create');
    const data = Buffer.alloc(16, 0x55);
    faults.add({ ops: ['sync'], fail: 'EIO', times: 1 });
    await expect(f.writeDurable(data, 0, 16, 0)).rejects.toMatchObject({ code: 'EIO' });
    faults.add({ ops: ['write'], corrupt: true, times: 1 });
    await f.writeDurable(data, 0, 16, 0);
    const back = Buffer.alloc(16);
    await f.read(back, 0, 16, 0);
    expect(back.equals(data)).toBe(false);
    expect(data.every((v) => v === 0x55)).toBe(true); // the caller's buffer is untouched
  });

  it('fires with the given probability, reproducibly from the seed', async () => {
    const count = (seed: number): number => {
      const f = new FaultInjector(seed);
      f.add({ ops: ['read'], fail: 'EIO', probability: 0.25 });
      let n = 0;
      for (let i = 0; i < 1000; i++) if (f.decide('read', '/x').fail) n++;
      return n;
    };
    expect(count(9)).toBe(count(9));
    expect(count(9)).toBeGreaterThan(180);
    expect(count(9)).toBeLessThan(320);
  });
});
