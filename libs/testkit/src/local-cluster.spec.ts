import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { shippedProcessSettings } from './local-cluster.js';

const SHIPPED_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../deploy/local/cluster.yaml');

describe('shippedProcessSettings', () => {
  it('gives what deploy/local/cluster.yaml gives every service process', () => {
    const topology = parse(fs.readFileSync(SHIPPED_FILE, 'utf8')) as {
      nodeArgs: string[];
      serviceEnv: Record<string, string>;
      cluster: { partitions: number };
    };
    const settings = shippedProcessSettings();
    expect(settings).toEqual({
      nodeArgs: topology.nodeArgs,
      serviceEnv: topology.serviceEnv,
      partitions: topology.cluster.partitions,
    });
    // What a benchmark that starts its own processes must not lose (docs/benchmarks.md, session 7).
    expect(settings.nodeArgs).toContain('--heap-growing-percent=300');
    expect(settings.serviceEnv['GLIBC_TUNABLES']).toMatch(/glibc\.malloc\.trim_threshold=/);
  });
});
