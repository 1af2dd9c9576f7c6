// Suites whose measuring code lives with the library it measures (a script
// under libs/<lib>/scripts that imports the library's private modules): run it
// with tsx and take the JSON line it prints.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs `libs/<script>` with `--json` and `args`; its figures. */
export async function runLibScript(script: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'libs', script), '--json', ...args],
    { cwd: ROOT, maxBuffer: 16 * 2 ** 20 },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}
