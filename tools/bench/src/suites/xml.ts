// Large XML request bodies parsed on the event loop and in the frontend's
// XmlParsePool worker: wall time and event-loop delay per body. The measuring
// code lives with the pool (libs/frontend/scripts/xml-bench.ts, which imports
// its private module); this runs it and returns its figures. Args are passed
// on (--rounds N).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SCRIPT = path.join(ROOT, 'libs/frontend/scripts/xml-bench.ts');

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT, '--json', ...args], {
    cwd: ROOT,
    maxBuffer: 16 * 2 ** 20,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}
