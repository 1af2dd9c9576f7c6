// Reed-Solomon throughput per implementation (ISA-L inline and on the thread
// pool, ronomon, the TypeScript fallback) at 5+4 with 1 MiB blocks, and MD5
// for scale: the measuring code lives with the codec (libs/erasure/scripts/
// bench.ts, which imports its private modules); this runs it and returns
// its figures. Args are passed on (--seconds N per case).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SCRIPT = path.join(ROOT, 'libs/erasure/scripts/bench.ts');

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT, '--json', ...args], {
    cwd: ROOT,
    maxBuffer: 16 * 2 ** 20,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}
