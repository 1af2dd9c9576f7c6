import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/build-native.mjs', import.meta.url));
// Bounds each script run; a no-op or verify-only run takes well under a second.
const SCRIPT_TIMEOUT_MS = 60_000;

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', env, timeout: SCRIPT_TIMEOUT_MS });
}

describe('scripts/build-native.mjs', () => {
  it('leaves a loadable addon (building it when out of date)', () => {
    const r = run([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ISA-L addon (up to date|built)/);
  });

  it('exits 0 and says why when it cannot build, 1 with --strict', () => {
    // An empty PATH hides the compiler, make and python: the bootstrap must carry on.
    const env = { ...process.env, PATH: '/nonexistent' };
    const lenient = run(['--force'], env);
    expect(lenient.status).toBe(0);
    expect(lenient.stdout).toContain('missing build tools: cc, make, python3');
    expect(run(['--force', '--strict'], env).status).toBe(1);
  });
});
