import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@platter/service-host';
import { storageConfigSchema } from './config.js';
import { createLogger } from '@platter/telemetry';
import { DiskFaults, FAULT_TOGGLE_SIGNAL, listenForFaultToggle } from './disk-faults.js';

const base = {
  PLATTER_ID: 'storage-1',
  PLATTER_ETCD_ENDPOINTS: 'http://127.0.0.1:2379',
  PLATTER_DISKS: '[{"id":"d1","path":"/x/d1"},{"id":"d2","path":"/x/d2"}]',
};

/** The problems a ConfigError lists for these env settings (fails the test if parsing succeeds). */
function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(storageConfigSchema, { ...base, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('diskFaults config (PLATTER_DISK_FAULTS)', () => {
  it('is off by default', () => {
    const c = parseConfig(storageConfigSchema, base);
    expect(c.diskFaults).toEqual({});
    expect(c.diskFaultSeed).toBe(1);
    expect(new DiskFaults(c.diskFaults, ['d1', 'd2']).configured).toBe(false);
  });

  it('reads rules per disk id and for every disk ("*") as JSON, with a seed', () => {
    const c = parseConfig(storageConfigSchema, {
      ...base,
      PLATTER_DISK_FAULTS: JSON.stringify({
        d1: [{ ops: ['read'], pathIncludes: 'extents', delayMs: 500 }],
        '*': [
          { ops: ['sync'], fail: 'EIO', times: 1, probability: 0.25 },
          { corrupt: true, ops: ['write'] },
        ],
      }),
      PLATTER_DISK_FAULT_SEED: '42',
    });
    expect(c.diskFaults.d1).toEqual([{ ops: ['read'], pathIncludes: 'extents', delayMs: 500 }]);
    expect(c.diskFaults['*']).toHaveLength(2);
    expect(c.diskFaultSeed).toBe(42);
  });

  it('reads the same key from the config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platter-faults-config-'));
    try {
      const file = path.join(dir, 'storage.json');
      fs.writeFileSync(file, JSON.stringify({ diskFaults: { d2: [{ fail: 'ENOSPC', ops: ['write'] }] } }));
      const c = parseConfig(storageConfigSchema, { ...base, PLATTER_CONFIG_FILE: file });
      expect(c.diskFaults).toEqual({ d2: [{ fail: 'ENOSPC', ops: ['write'] }] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['an operation the engine does not have', { d1: [{ ops: ['readv'], delayMs: 1 }] }, /diskFaults\.d1\.0\.ops\.0/],
    ['a negative delay', { d1: [{ delayMs: -1 }] }, /diskFaults\.d1\.0\.delayMs.*>=0/],
    ['a delay above the bound', { d1: [{ delayMs: 600_000 }] }, /diskFaults\.d1\.0\.delayMs.*<=60000/],
    ['a fractional delay', { d1: [{ delayMs: 1.5 }] }, /diskFaults\.d1\.0\.delayMs/],
    ['a fail that is not an errno code', { d1: [{ fail: 'eio' }] }, /errno code such as EIO/],
    ['a probability above 1', { d1: [{ delayMs: 5, probability: 1.5 }] }, /diskFaults\.d1\.0\.probability/],
    ['times of 0', { d1: [{ delayMs: 5, times: 0 }] }, /diskFaults\.d1\.0\.times/],
    ['an unknown rule key (a typo)', { d1: [{ delayMS: 5 }] }, /diskFaults\.d1\.0.*delayMS/],
    ['a rule that does nothing', { d1: [{ ops: ['read'] }] }, /a rule must do something/],
    ['a disk this node does not host', { d9: [{ delayMs: 5 }] }, /diskFaults\.d9.*no disk "d9" is configured/],
    ['a key that is not a disk id', { 'D 1': [{ delayMs: 5 }] }, /diskFaults\.D 1.*Invalid key/],
  ])('refuses %s, naming the setting and the field', (_what, value, message) => {
    const found = problems({ PLATTER_DISK_FAULTS: JSON.stringify(value) });
    expect(found.join('\n')).toMatch(message);
    expect(found.join('\n')).toContain('PLATTER_DISK_FAULTS');
  });

  it('refuses a value that is not JSON', () => {
    expect(problems({ PLATTER_DISK_FAULTS: '{d1: delay}' })).toEqual(['PLATTER_DISK_FAULTS: expected JSON']);
  });

  it('refuses a seed of 0 (the generator would stick)', () => {
    expect(problems({ PLATTER_DISK_FAULT_SEED: '0' }).join('\n')).toMatch(/diskFaultSeed \(PLATTER_DISK_FAULT_SEED\)/);
  });
});

describe('DiskFaults', () => {
  const config = {
    d1: [{ ops: ['read' as const], pathIncludes: 'extents', delayMs: 500 }],
    '*': [{ ops: ['sync' as const], fail: 'EIO' }],
  };

  it('gives each disk with rules its own injector, with the "*" rules added', () => {
    const f = new DiskFaults(config, ['d1', 'd2', 'd3']);
    expect(f.configured).toBe(true);
    expect(f.ruleCount('d1')).toBe(2);
    expect(f.ruleCount('d2')).toBe(1);
    const d1 = f.injectorFor('d1')!;
    expect(d1.decide('read', '/x/d1/extents/00000001')).toEqual({ delayMs: 500, corrupt: false });
    expect(d1.decide('read', '/x/d1/index/data.mdb')).toEqual({ delayMs: 0, corrupt: false });
    expect(d1.decide('write', '/x/d1/extents/00000001')).toEqual({ delayMs: 0, corrupt: false });
    expect(d1.decide('sync', '/x/d1/extents/00000001').fail).toBe('EIO');
    expect(f.injectorFor('d2')!.decide('read', '/x/d2/extents/00000001').delayMs).toBe(0);
    expect(f.injections('d1')).toBe(2);
    expect(f.injections('d2')).toBe(0);
  });

  it('leaves a disk without rules unwrapped', () => {
    const f = new DiskFaults({ d1: config.d1 }, ['d1', 'd2']);
    expect(f.injectorFor('d2')).toBeUndefined();
    expect(f.ruleCount('d2')).toBe(0);
  });

  it('switches off and on; on again, a rule with `times` starts afresh', () => {
    const f = new DiskFaults({ d1: [{ ops: ['read'], delayMs: 7, times: 1 }] }, ['d1']);
    const inj = f.injectorFor('d1')!;
    expect(inj.decide('read', 'extents/1').delayMs).toBe(7);
    expect(inj.decide('read', 'extents/1').delayMs).toBe(0); // retired after one
    f.setActive(false);
    expect(f.active).toBe(false);
    expect(f.ruleCount('d1')).toBe(0);
    f.setActive(true);
    expect(f.ruleCount('d1')).toBe(1);
    expect(inj.decide('read', 'extents/1').delayMs).toBe(7);
  });

  it('fires probabilistic rules reproducibly for a seed, differently per disk', () => {
    const rules = { '*': [{ ops: ['read' as const], delayMs: 1, probability: 0.5 }] };
    const pattern = (f: DiskFaults, disk: string): string =>
      Array.from({ length: 64 }, () => (f.injectorFor(disk)!.decide('read', 'x').delayMs > 0 ? '1' : '0')).join('');
    const a = new DiskFaults(rules, ['d1', 'd2'], 9);
    const b = new DiskFaults(rules, ['d1', 'd2'], 9);
    const first = pattern(a, 'd1');
    expect(pattern(b, 'd1')).toBe(first);
    expect(first).toMatch(/1/);
    expect(first).toMatch(/0/);
    expect(pattern(a, 'd2')).not.toBe(pattern(new DiskFaults(rules, ['d1', 'd2'], 9), 'd1'));
  });
});

describe('listenForFaultToggle', () => {
  const log = createLogger({ service: 'storage-test', level: 'silent' });

  it('switches the rules off and on at each signal, and stops when told', () => {
    const f = new DiskFaults({ d1: [{ ops: ['read'], delayMs: 5 }] }, ['d1']);
    const before = process.listenerCount(FAULT_TOGGLE_SIGNAL);
    const stop = listenForFaultToggle(f, log);
    expect(process.listenerCount(FAULT_TOGGLE_SIGNAL)).toBe(before + 1);
    process.emit(FAULT_TOGGLE_SIGNAL);
    expect([f.active, f.ruleCount('d1')]).toEqual([false, 0]);
    process.emit(FAULT_TOGGLE_SIGNAL);
    expect([f.active, f.ruleCount('d1')]).toEqual([true, 1]);
    stop();
    expect(process.listenerCount(FAULT_TOGGLE_SIGNAL)).toBe(before);
  });

  it('keeps a node without faults alive and unchanged', () => {
    const f = new DiskFaults({}, ['d1']);
    const stop = listenForFaultToggle(f, log);
    process.emit(FAULT_TOGGLE_SIGNAL);
    expect([f.configured, f.active]).toEqual([false, false]);
    stop();
  });
});
