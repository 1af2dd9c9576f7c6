import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Module state on purpose: the 'exit' hook is per Node process, so the set of
// children it must kill is too. Only non-detached children and kit-owned temp
// dirs are tracked; detached children are meant to outlive us.
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hookInstalled = false;

function reapSync(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  liveChildren.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A leftover temp dir is not worth failing the exit for.
    }
  }
  tempDirs.clear();
}

function ensureHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL and rmSync are.
  process.on('exit', reapSync);
}

/** SIGKILLs the child when this process exits, unless it exited first. */
export function reapOnExit(child: ChildProcess): void {
  ensureHook();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Removes the directory when this process exits, unless forgotten first. */
export function removeOnExit(dir: string): void {
  ensureHook();
  tempDirs.add(dir);
}

export function forgetTempDir(dir: string): void {
  tempDirs.delete(dir);
}
