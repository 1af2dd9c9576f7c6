// `platter disks activate|drain|retire|fail` against the real placement
// process (apps/placement/dist/main.js, built) over a real etcd holding disk
// records and live keys as storage nodes write them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectEtcd, DiskLiveRecordCodec, DiskRecordCodec, Keyspace, type Etcd3 } from '@platter/cluster';
import { Cleanup, freePort, startEtcd, startProcess, waitFor } from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseDiskStateCommand, runDiskState } from './disk-state.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PLACEMENT = path.join(ROOT, 'apps', 'placement', 'dist', 'main.js');

describe('parseDiskStateCommand', () => {
  it('takes a verb, disk ids and a reason', () => {
    expect(parseDiskStateCommand(['drain', 'd1', 'd2', '--reason=swap'])).toEqual({
      verb: 'drain',
      diskIds: ['d1', 'd2'],
      allJoining: false,
      reason: 'swap',
    });
    expect(parseDiskStateCommand(['activate', '--all-joining'])).toMatchObject({ allJoining: true, diskIds: [] });
  });

  it('refuses unknown verbs and options, no disks, and --all-joining with ids or another verb', () => {
    expect(() => parseDiskStateCommand(['explode', 'd1'])).toThrow(/usage/);
    expect(() => parseDiskStateCommand(['drain'])).toThrow(/name the disks/);
    expect(() => parseDiskStateCommand(['activate', '--all-joining', 'd1'])).toThrow(/not both/);
    expect(() => parseDiskStateCommand(['drain', '--all-joining'])).toThrow(/activate only/);
    expect(() => parseDiskStateCommand(['drain', 'd1', '--force'])).toThrow(/unknown option/);
    expect(() => parseDiskStateCommand(['drain', 'd1', '--reason='])).toThrow(/reason/);
  });
});

describe('platter disks <verb> against a placement process', () => {
  const cleanup = new Cleanup();
  const keyspace = new Keyspace();
  let etcd: Etcd3;
  const lines: string[] = [];

  async function stateOf(diskId: string): Promise<string | undefined> {
    const kv = (await etcd.get(keyspace.disk(diskId)).exec()).kvs[0];
    return kv === undefined ? undefined : DiskRecordCodec.decode(kv.value).state;
  }

  beforeAll(async () => {
    if (!fs.existsSync(PLACEMENT)) throw new Error(`${PLACEMENT} is missing: npx tsc -b apps/placement first`);
    const e = await startEtcd();
    cleanup.add(() => e.destroy());
    const saved = process.env.ETCD_ENDPOINTS;
    process.env.ETCD_ENDPOINTS = e.clientUrl;
    cleanup.add(() => {
      process.env.ETCD_ENDPOINTS = saved;
    });
    etcd = connectEtcd(e.endpoints);
    cleanup.add(() => etcd.close());
    const now = new Date().toISOString();
    const lease = etcd.lease(30);
    cleanup.add(() => lease.revoke().then(() => undefined));
    for (const [diskId, state] of [
      ['d1', 'active'],
      ['d2', 'joining'],
      ['d3', 'joining'],
    ] as const) {
      const record = { diskId, nodeId: 'n1', labels: { zone: 'z', host: 'h' }, state, capacityBytes: 1e12 };
      await etcd
        .put(keyspace.disk(diskId))
        .value(DiskRecordCodec.encode({ ...record, createdAt: now, updatedAt: now }));
      await lease
        .put(keyspace.diskLive(diskId))
        .value(DiskLiveRecordCodec.encode({ diskId, nodeId: 'n1', grpcAddress: '127.0.0.1:1', since: now }));
    }
    const adminPort = await freePort();
    const proc = await startProcess({
      name: 'placement-cli-test',
      command: process.execPath,
      args: [PLACEMENT],
      env: {
        PLATTER_ID: 'placement-1',
        PLATTER_ETCD_ENDPOINTS: e.clientUrl,
        PLATTER_ADMIN_PORT: String(adminPort),
        PLATTER_LEASE_TTL_SECONDS: '3',
        PLATTER_SHUTDOWN_GRACE_MS: '1000',
        PLATTER_LOG_LEVEL: 'warn',
      },
      readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
      readyTimeoutMs: 30_000,
    });
    cleanup.add(() => proc.stop(5_000));
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
    cleanup.add(() => vi.restoreAllMocks());
  }, 60_000);
  afterAll(() => cleanup.run());

  it('drains a disk, and says so when it already is', async () => {
    expect(await runDiskState(['drain', 'd1', '--reason=test'])).toBe(0);
    expect(await stateOf('d1')).toBe('draining');
    expect(lines.at(-1)).toBe('d1: now draining (state epoch 2)');
    expect(await runDiskState(['drain', 'd1'])).toBe(0);
    expect(lines.at(-1)).toBe('d1: already draining, unchanged');
  });

  it('exits 1 and names the problem for a change the lifecycle forbids or an unknown disk', async () => {
    expect(await runDiskState(['retire', 'd2', 'nope'])).toBe(1);
    expect(lines.at(-2)).toMatch(/^d2: FAILED_PRECONDITION: .*joining to retired/);
    expect(lines.at(-1)).toMatch(/^nope: NOT_FOUND/);
  });

  it('activates every joining disk with --all-joining', async () => {
    await waitFor(
      'placement to list both joining disks',
      async () => {
        lines.length = 0;
        return (await runDiskState(['activate', '--all-joining'])) === 0 && lines.length === 2;
      },
      { timeoutMs: 10_000 },
    );
    expect(await stateOf('d2')).toBe('active');
    expect(await stateOf('d3')).toBe('active');
  });
});
