import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@platter/telemetry';
import { Cleanup, startEtcd, waitFor, type EtcdHandle } from '@platter/testkit';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcd } from './etcd-client.js';
import { Keyspace } from './keyspace.js';
import { LeaderElection, readElectionLeader, type DeposedReason } from './leader-election.js';

const TTL_SECONDS = 2;
const logger = createLogger({
  service: 'cluster-test',
  level: process.env['TEST_LOG_LEVEL'] ?? 'silent',
  destination: new Writable({ write: (c, _e, cb) => (process.stderr.write(c), cb()) }),
});

describe('LeaderElection', () => {
  const cleanup = new Cleanup();
  let etcdServer: EtcdHandle;
  let etcd: Etcd3;

  beforeAll(async () => {
    etcdServer = await startEtcd();
    cleanup.add(() => etcdServer.destroy(), 'etcd');
    etcd = connectEtcd(etcdServer.endpoints, { requestTimeoutMs: 2_000 });
    cleanup.add(() => etcd.close(), 'etcd client');
  });
  afterAll(() => cleanup.run());

  function candidate(keyspace: Keyspace, id: string): { election: LeaderElection; deposed: DeposedReason[] } {
    const election = new LeaderElection({
      etcd,
      keyspace,
      name: 'placement',
      candidateId: id,
      ttlSeconds: TTL_SECONDS,
      logger,
    });
    const deposed: DeposedReason[] = [];
    election.on('deposed', (r: DeposedReason) => deposed.push(r));
    cleanup.add(() => election.stop(), `election ${id}`);
    return { election, deposed };
  }

  it('elects exactly one of two candidates and hands over on stop with a higher epoch', async () => {
    const keyspace = new Keyspace(`/t-${randomUUID().slice(0, 8)}/`);
    const a = candidate(keyspace, 'placement-a');
    const b = candidate(keyspace, 'placement-b');
    a.election.start();
    await waitFor('a elected', () => a.election.isLeader);
    b.election.start();
    // b must have entered the race and still be waiting.
    await waitFor(
      'b to be a candidate',
      async () => (await etcd.getAll().prefix(keyspace.election('placement')).keys()).length === 2,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(b.election.isLeader).toBe(false);
    expect(b.election.epoch).toBeUndefined();
    const epochA = a.election.epoch;
    expect(epochA).toMatch(/^\d+$/);
    expect(await readElectionLeader(etcd, keyspace, 'placement')).toEqual({
      candidateId: 'placement-a',
      epoch: epochA,
    });

    const stoppedAt = performance.now();
    await a.election.stop();
    expect(a.election.isLeader).toBe(false);
    expect(a.deposed).toEqual(['stopped']);
    await waitFor('b elected', () => b.election.isLeader, { timeoutMs: 5_000 });
    // Resignation revokes the lease: no TTL wait.
    expect(performance.now() - stoppedAt).toBeLessThan(TTL_SECONDS * 1000);
    expect(BigInt(b.election.epoch ?? '0')).toBeGreaterThan(BigInt(epochA ?? '0'));
    expect((await readElectionLeader(etcd, keyspace, 'placement'))?.candidateId).toBe('placement-b');
  });

  it('steps down within the TTL when etcd stops answering, and is re-elected with a new epoch', async () => {
    const keyspace = new Keyspace(`/t-${randomUUID().slice(0, 8)}/`);
    const solo = candidate(keyspace, 'placement-solo');
    const elected: string[] = [];
    solo.election.on('elected', (e: { epoch: string }) => elected.push(e.epoch));
    solo.election.start();
    await waitFor('solo elected', () => solo.election.isLeader);

    etcdServer.pause();
    const pausedAt = performance.now();
    try {
      await waitFor('deposed while etcd is frozen', () => !solo.election.isLeader, {
        timeoutMs: TTL_SECONDS * 1000 + 1_000,
      });
      // It must give up before etcd could have expired its lease, i.e. within one TTL of the last confirmation.
      expect(performance.now() - pausedAt).toBeLessThanOrEqual(TTL_SECONDS * 1000 + 100);
      expect(solo.deposed).toEqual(['lease-lost']);
    } finally {
      etcdServer.resume();
    }
    await waitFor('re-elected', () => solo.election.isLeader, { timeoutMs: 15_000 });
    expect(elected).toHaveLength(2);
    expect(BigInt(elected[1] ?? '0')).toBeGreaterThan(BigInt(elected[0] ?? '0'));
  });
});
