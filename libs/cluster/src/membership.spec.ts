import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@platter/telemetry';
import { Cleanup, startEtcd, startProcess, waitFor, type EtcdHandle } from '@platter/testkit';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd } from './etcd-client.js';
import { EtcdUnavailableError } from './errors.js';
import { Keyspace, type MemberRecord } from './keyspace.js';
import { MemberView } from './member-view.js';
import { Membership, type RegisteredEvent } from './membership.js';

// Short leases keep the expiry tests fast; etcd's own minimum is about 2 s.
const TTL_SECONDS = 2;
const logger = createLogger({
  service: 'cluster-test',
  level: process.env['TEST_LOG_LEVEL'] ?? 'silent',
  destination: new Writable({ write: (c, _e, cb) => (process.stderr.write(c), cb()) }),
});

function record(id: string, role: MemberRecord['role'] = 'storage'): MemberRecord {
  return {
    role,
    id,
    grpcAddress: '127.0.0.1:7001',
    adminUrl: 'http://127.0.0.1:9001',
    labels: { zone: 'z1', host: id },
    version: '0.0.0-test',
    startedAt: new Date().toISOString(),
    pid: process.pid,
  };
}

describe('Membership and MemberView', () => {
  const cleanup = new Cleanup();
  let etcdServer: EtcdHandle;
  let etcd: Etcd3;
  let keyspace: Keyspace;

  beforeAll(async () => {
    etcdServer = await startEtcd();
    cleanup.add(() => etcdServer.destroy(), 'etcd');
    etcd = connectEtcd(etcdServer.endpoints, { requestTimeoutMs: 2_000 });
    cleanup.add(() => etcd.close(), 'etcd client');
  });
  afterAll(() => cleanup.run());

  // Each test gets its own root so that tests never see each other's keys.
  const freshKeyspace = (): Keyspace => (keyspace = new Keyspace(`/t-${randomUUID().slice(0, 8)}/`));

  it('registers a member that a view sees, and close() revokes it at once', async () => {
    freshKeyspace();
    const view = await MemberView.open({ etcd, keyspace, logger });
    cleanup.add(() => view.close());
    expect(view.members()).toEqual([]);
    const membership = new Membership({ etcd, keyspace, logger, ttlSeconds: TTL_SECONDS });
    const events: RegisteredEvent[] = [];
    membership.on('registered', (e: RegisteredEvent) => events.push(e));
    await membership.register(record('node-1'));
    expect(membership.registered).toBe(true);
    expect(events).toEqual([expect.objectContaining({ key: keyspace.member('storage', 'node-1'), generation: 1 })]);

    await waitFor('view to see node-1', () => view.get('storage', 'node-1'));
    expect(view.members().map((m) => m.id)).toEqual(['node-1']);
    expect(BigInt(view.revision)).toBeGreaterThan(0n);

    const closedAt = performance.now();
    await membership.close();
    expect(membership.registered).toBe(false);
    await waitFor('view to drop node-1', () => view.get('storage', 'node-1') === undefined, { timeoutMs: 5_000 });
    // Revoked, not expired: well under the TTL.
    expect(performance.now() - closedAt).toBeLessThan(TTL_SECONDS * 1000);
  });

  it('filters by role and ignores malformed or mislabelled records', async () => {
    freshKeyspace();
    const storageView = await MemberView.open({ etcd, keyspace, role: 'storage', logger });
    const allView = await MemberView.open({ etcd, keyspace, logger });
    cleanup.add(() => storageView.close());
    cleanup.add(() => allView.close());
    await etcd.put(keyspace.member('storage', 'good')).value(JSON.stringify(record('good')));
    await etcd.put(keyspace.member('frontend', 'fe-1')).value(JSON.stringify(record('fe-1', 'frontend')));
    await etcd.put(keyspace.member('storage', 'garbage')).value('{"role":');
    // A record whose body names another member is not trusted.
    await etcd.put(keyspace.member('storage', 'liar')).value(JSON.stringify(record('someone-else')));
    await waitFor('all view to see both good members', () => allView.members().length === 2);
    expect(allView.members().map((m) => `${m.role}/${m.id}`)).toEqual(['frontend/fe-1', 'storage/good']);
    await waitFor('storage view', () => storageView.members().length === 1);
    expect(storageView.members()[0]?.id).toBe('good');
    // A view opened later (range read rather than watch) agrees.
    const late = await MemberView.open({ etcd, keyspace, logger });
    cleanup.add(() => late.close());
    expect(late.members().map((m) => m.id)).toEqual(['fe-1', 'good']);
  });

  it('a member whose process dies without revoking vanishes after the TTL', async () => {
    freshKeyspace();
    const view = await MemberView.open({ etcd, keyspace, logger });
    cleanup.add(() => view.close());
    const here = fileURLToPath(new URL('.', import.meta.url));
    const script = `
      import { connectEtcd, Keyspace, Membership } from ${JSON.stringify(`${here}index.ts`)};
      import { createLogger } from '@platter/telemetry';
      const etcd = connectEtcd(${JSON.stringify(etcdServer.endpoints)});
      const membership = new Membership({ etcd, keyspace: new Keyspace(${JSON.stringify(keyspace.root)}), ttlSeconds: ${TTL_SECONDS}, logger: createLogger({ service: 'doomed', level: 'warn' }) });
      await membership.register(${JSON.stringify(record('doomed'))});
      setInterval(() => {}, 1000);
    `;
    const child = await startProcess({
      name: 'doomed-member',
      command: process.execPath,
      args: ['--conditions=@platter/source', '--import', 'tsx', '--input-type=module', '-e', script],
      ready: () => view.get('storage', 'doomed') !== undefined,
      readyTimeoutMs: 30_000,
    });
    cleanup.add(() => child.stop());
    child.kill('SIGKILL');
    const killedAt = performance.now();
    await child.exited;
    // Still there right after the crash: only the lease expiry removes it.
    expect(view.get('storage', 'doomed')).toBeDefined();
    await waitFor('lease expiry to remove the crashed member', () => view.get('storage', 'doomed') === undefined, {
      timeoutMs: 10_000,
    });
    const gone = performance.now() - killedAt;
    expect(gone).toBeGreaterThan(TTL_SECONDS * 1000 * 0.5);
  });

  it('re-registers after etcd is down longer than the TTL, and the view catches up', async () => {
    freshKeyspace();
    const membership = new Membership({ etcd, keyspace, logger, ttlSeconds: TTL_SECONDS });
    cleanup.add(() => membership.close());
    const lost: string[] = [];
    membership.on('lost', (reason: string) => lost.push(reason));
    await membership.register(record('survivor'));
    const view = await MemberView.open({ etcd, keyspace, logger });
    cleanup.add(() => view.close());
    await waitFor('view to see survivor', () => view.get('storage', 'survivor'));
    const firstLease = membership.leaseId;

    await etcdServer.stop();
    await waitFor('membership to notice the lost lease', () => !membership.registered, {
      timeoutMs: TTL_SECONDS * 1000 + 2_000,
    });
    expect(lost).toEqual(['keepalive-timeout']);
    await etcdServer.start();

    await waitFor('re-registration', () => membership.registered, { timeoutMs: 15_000 });
    expect(membership.leaseId).not.toBe(firstLease);
    const stored = await etcd.get(keyspace.member('storage', 'survivor')).exec();
    expect(stored.kvs[0]?.lease).toBe(membership.leaseId);
    await waitFor('view to hold survivor after the restart', () => view.get('storage', 'survivor'), {
      timeoutMs: 15_000,
    });
    // The record must outlive the old lease (now revoked or expired), so it is on the new one.
    await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 500));
    expect(view.get('storage', 'survivor')?.id).toBe('survivor');
    expect(membership.registered).toBe(true);
  });

  it('register() fails with EtcdUnavailableError when etcd stays unreachable', async () => {
    const deadEtcd = connectEtcd(['http://127.0.0.1:1'], { requestTimeoutMs: 300 });
    cleanup.add(() => deadEtcd.close());
    const membership = new Membership({
      etcd: deadEtcd,
      keyspace: new Keyspace(),
      logger,
      ttlSeconds: TTL_SECONDS,
      registerTimeoutMs: 800,
    });
    const started = performance.now();
    await expect(membership.register(record('lonely'))).rejects.toBeInstanceOf(EtcdUnavailableError);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(membership.registered).toBe(false);
    await membership.close();
  });
});
