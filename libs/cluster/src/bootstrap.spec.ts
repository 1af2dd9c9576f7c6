import { randomUUID } from 'node:crypto';
import { Cleanup, startEtcd, type EtcdHandle } from '@platter/testkit';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClusterConfig, ensureClusterConfig, readClusterConfig } from './cluster-config.js';
import { connectEtcd } from './etcd-client.js';
import { AccessKeyConflictError, CodecError } from './errors.js';
import { bootstrapRootAccessKey, createAccessKey, getAccessKey } from './iam.js';
import { Keyspace } from './keyspace.js';

describe('cluster config and IAM bootstrap', () => {
  const cleanup = new Cleanup();
  let etcdServer: EtcdHandle;
  let etcd: Etcd3;
  beforeAll(async () => {
    etcdServer = await startEtcd();
    cleanup.add(() => etcdServer.destroy());
    etcd = connectEtcd(etcdServer.endpoints);
    cleanup.add(() => etcd.close());
  });
  afterAll(() => cleanup.run());
  const freshKeyspace = (): Keyspace => new Keyspace(`/t-${randomUUID().slice(0, 8)}/`);

  it('creates the config once; later proposals get what is stored', async () => {
    const keyspace = freshKeyspace();
    expect(await readClusterConfig(etcd, keyspace)).toBeUndefined();
    const first = defaultClusterConfig({ clusterId: 'first' });
    const second = defaultClusterConfig({ clusterId: 'second', ec: { k: 3, m: 2 }, partitions: 4 });
    expect(await ensureClusterConfig(etcd, keyspace, first)).toEqual(first);
    expect(await ensureClusterConfig(etcd, keyspace, second)).toEqual(first);
    expect(await readClusterConfig(etcd, keyspace)).toEqual(first);
  });

  it('agrees on one config when many processes start at once', async () => {
    const keyspace = freshKeyspace();
    const proposals = Array.from({ length: 8 }, (_, i) => defaultClusterConfig({ clusterId: `c${i}` }));
    const results = await Promise.all(proposals.map((p) => ensureClusterConfig(etcd, keyspace, p)));
    expect(new Set(results.map((r) => r.clusterId)).size).toBe(1);
  });

  it('refuses to write an invalid proposal and to trust a corrupted stored config', async () => {
    const keyspace = freshKeyspace();
    await expect(
      ensureClusterConfig(etcd, keyspace, { ...defaultClusterConfig(), writeQuorum: 1 }),
    ).rejects.toBeInstanceOf(CodecError);
    expect(await readClusterConfig(etcd, keyspace)).toBeUndefined();
    await etcd.put(keyspace.config()).value('{"clusterId": 42}');
    await expect(readClusterConfig(etcd, keyspace)).rejects.toBeInstanceOf(CodecError);
  });

  it('bootstraps the root access key idempotently and refuses a different secret', async () => {
    const keyspace = freshKeyspace();
    const key = { accessKeyId: 'PLATTERROOT0001', secretAccessKey: 'x'.repeat(40), account: 'root' };
    expect(await getAccessKey(etcd, keyspace, key.accessKeyId)).toBeUndefined();
    const created = await bootstrapRootAccessKey(etcd, keyspace, key);
    expect(created).toMatchObject({ ...key, status: 'active' });
    const again = await bootstrapRootAccessKey(etcd, keyspace, key);
    expect(again).toEqual(created);
    expect(await getAccessKey(etcd, keyspace, key.accessKeyId)).toEqual(created);
    await expect(
      bootstrapRootAccessKey(etcd, keyspace, { ...key, secretAccessKey: 'y'.repeat(40) }),
    ).rejects.toBeInstanceOf(AccessKeyConflictError);
    expect((await getAccessKey(etcd, keyspace, key.accessKeyId))?.secretAccessKey).toBe(key.secretAccessKey);
  });

  it('creates distinct, well-formed keys for other accounts', async () => {
    const keyspace = freshKeyspace();
    const a = await createAccessKey(etcd, keyspace, 'tenant-a');
    const b = await createAccessKey(etcd, keyspace, 'tenant-a');
    expect(a.accessKeyId).toMatch(/^PT[A-Z2-7]{18}$/);
    expect(a.secretAccessKey).toMatch(/^[A-Za-z0-9x]{40}$/);
    expect(b.accessKeyId).not.toBe(a.accessKeyId);
    expect(await getAccessKey(etcd, keyspace, a.accessKeyId)).toMatchObject({ account: 'tenant-a', status: 'active' });
  });
});
