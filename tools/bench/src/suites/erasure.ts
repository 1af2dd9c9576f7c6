// Reed-Solomon throughput per implementation (ISA-L inline and on the thread
// pool, ronomon, the TypeScript fallback) at 5+4 with 1 MiB blocks, and MD5
// for scale: the measuring code lives with the codec (libs/erasure/scripts/
// bench.ts, which imports its private modules); this runs it and returns
// its figures. Args are passed on (--seconds N per case).
import { runLibScript } from '../lib-script.js';

export function run(args: string[]): Promise<Record<string, unknown>> {
  return runLibScript('erasure/scripts/bench.ts', args);
}
