import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TopologySchema, expandTopology } from './topology.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const shipped = (): Record<string, unknown> =>
  parse(fs.readFileSync(path.join(ROOT, 'deploy/local/cluster.yaml'), 'utf8')) as Record<string, unknown>;

describe('expandTopology', () => {
  it('restarts crashed processes and adds only the shipped service settings unless told', () => {
    const topology = TopologySchema.parse(shipped());
    expect(topology.restartCrashed).toBe(true);
    const specs = expandTopology(topology, '/data');
    expect(specs.filter((s) => s.role === 'storage')).toHaveLength(9);
    expect(Object.keys(specs.find((s) => s.id === 'storage-host-b2')!.env).sort()).toEqual([
      'GLIBC_TUNABLES',
      'PLATTER_DISKS',
    ]);
    // Every service keeps freed memory mapped (STACK.md pitfall 12).
    expect(specs.every((s) => s.env.GLIBC_TUNABLES?.includes('glibc.malloc.trim_threshold='))).toBe(true);
  });

  it('gives nodeArgs to every process, and the shipped topology fixes the heap growth that kept V8 collecting', () => {
    const specs = expandTopology(TopologySchema.parse(shipped()), '/data');
    expect(specs.every((s) => s.nodeArgs.includes('--heap-growing-percent=300'))).toBe(true);
    expect(() => TopologySchema.parse({ ...shipped(), nodeArgs: ['main.js'] })).toThrow();
  });

  it('gives serviceEnv to every process, and a process’s own processEnv wins', () => {
    const topology = TopologySchema.parse({
      ...shipped(),
      serviceEnv: { PLATTER_LOG_LEVEL: 'warn', A: '1' },
      processEnv: { 'frontend-1': { A: '2' } },
    });
    const specs = expandTopology(topology, '/data');
    expect(specs.every((s) => s.env.PLATTER_LOG_LEVEL === 'warn')).toBe(true);
    expect(specs.find((s) => s.id === 'frontend-1')!.env.A).toBe('2');
    expect(specs.filter((s) => s.env.A === '1')).toHaveLength(specs.length - 1);
  });

  it('adds processEnv to the named processes only, over the settings it derives', () => {
    const topology = TopologySchema.parse({
      ...shipped(),
      restartCrashed: false,
      processEnv: { 'storage-host-b2': { NODE_OPTIONS: '--import=/hook.mjs' }, 'frontend-1': { PLATTER_REGION: 'x' } },
    });
    expect(topology.restartCrashed).toBe(false);
    const specs = expandTopology(topology, '/data');
    const b2 = specs.find((s) => s.id === 'storage-host-b2')!;
    expect(b2.env.NODE_OPTIONS).toBe('--import=/hook.mjs');
    expect(JSON.parse(b2.env.PLATTER_DISKS!)).toHaveLength(3);
    expect(specs.filter((s) => s.env.NODE_OPTIONS !== undefined).map((s) => s.id)).toEqual(['storage-host-b2']);
    expect(specs.find((s) => s.id === 'frontend-1')!.env.PLATTER_REGION).toBe('x');
  });

  it('refuses processEnv for a process the topology does not have', () => {
    const topology = TopologySchema.parse({ ...shipped(), processEnv: { 'storage-host-z9': { A: 'b' } } });
    expect(() => expandTopology(topology, '/data')).toThrow(/storage-host-z9/);
  });
});
