import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh directory under the OS temp dir, and its removal; for tests and benchmarks. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
