import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILESYSTEM_USAGE_TTL_MS, FilesystemUsageCache } from './disk-usage.js';

describe('FilesystemUsageCache', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reads statfs once per interval, shared by concurrent callers, and again after', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'platter-fsusage-'));
    dirs.push(dir);
    let now = 0;
    const cache = new FilesystemUsageCache(dir, () => now);
    const [a, b] = [cache.read(), cache.read()];
    expect(a).toBe(b);
    const usage = await a;
    expect(usage.capacityBytes).toBeGreaterThan(0n);
    expect(usage.usedBytes).toBeLessThanOrEqual(usage.capacityBytes);
    now = FILESYSTEM_USAGE_TTL_MS - 1;
    expect(cache.read()).toBe(a);
    now = FILESYSTEM_USAGE_TTL_MS + 1;
    const c = cache.read();
    expect(c).not.toBe(a);
    expect((await c).capacityBytes).toBe(usage.capacityBytes);
  });

  it('does not keep a failed read', async () => {
    const dir = path.join(os.tmpdir(), `platter-fsusage-missing-${process.pid}-${Date.now()}`);
    const cache = new FilesystemUsageCache(dir, () => 0);
    const first = cache.read();
    await expect(first).rejects.toThrow(/ENOENT/);
    expect(cache.read()).not.toBe(first);
    await cache.read().catch(() => undefined);
  });
});
