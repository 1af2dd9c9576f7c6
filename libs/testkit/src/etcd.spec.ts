import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdHandle } from './etcd.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

// etcd 3.4 serves its KV API as JSON through the gRPC gateway, so the kit's test needs no client library.
async function put(etcd: EtcdHandle, key: string, value: string): Promise<void> {
  const res = await fetch(`${etcd.clientUrl}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(key), value: b64(value) }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

async function get(etcd: EtcdHandle, key: string): Promise<string | undefined> {
  const res = await fetch(`${etcd.clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(key) }) });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

async function health(etcd: EtcdHandle): Promise<boolean> {
  try {
    const res = await fetch(`${etcd.clientUrl}/health`, { signal: AbortSignal.timeout(500) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

describe('startEtcd', () => {
  let etcd: EtcdHandle;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd.destroy();
  });

  it('answers on loopback and keeps data across a restart on the same port', async () => {
    expect(etcd.endpoints).toEqual([etcd.clientUrl]);
    expect(etcd.clientUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await health(etcd)).toBe(true);
    await put(etcd, '/kit/k', 'v1');

    await etcd.stop();
    expect(etcd.running).toBe(false);
    expect(await health(etcd)).toBe(false);

    await etcd.start();
    expect(await health(etcd)).toBe(true);
    expect(await get(etcd, '/kit/k')).toBe('v1');
  });

  it('survives kill -9 with acknowledged writes intact', async () => {
    await put(etcd, '/kit/crash', 'kept');
    await etcd.kill();
    expect(etcd.running).toBe(false);
    await etcd.start();
    expect(await get(etcd, '/kit/crash')).toBe('kept');
  });

  it('runs a detached etcd in its own process group, logging to the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kit-detached-'));
    try {
      const logFile = join(dir, 'etcd.log');
      const detached = await startEtcd({ detached: true, logFile, dataDir: join(dir, 'data') });
      try {
        const pid = detached.pid ?? 0;
        // Field 5 of /proc/<pid>/stat is the process group id.
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(pid);
        expect(await health(detached)).toBe(true);
      } finally {
        await detached.destroy();
      }
      expect(await readFile(logFile, 'utf8')).toContain('"msg":"serving client traffic insecurely');
      // The caller's data dir is kept.
      expect(existsSync(join(dir, 'data', 'member'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('destroy() removes the temp data dir it created', async () => {
    const other = await startEtcd();
    expect(existsSync(other.dataDir)).toBe(true);
    await other.destroy();
    expect(other.running).toBe(false);
    expect(existsSync(other.dataDir)).toBe(false);
  });
});
