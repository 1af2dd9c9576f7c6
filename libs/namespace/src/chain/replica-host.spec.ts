// The replica host against a real etcd: it opens a replica for each chain
// record naming this member, follows the record's epoch and role as it
// changes, and stops serving while the membership lease is lost.
import { EventEmitter } from 'node:events';
import { create } from '@bufbuild/protobuf';
import {
  ChainRecordCodec,
  connectEtcd,
  Keyspace,
  type ChainRecord,
  type Etcd3,
  type Membership,
} from '@platter/cluster';
import { namespaceV1 } from '@platter/proto';
import { createLogger } from '@platter/telemetry';
import { Cleanup, startEtcd, waitFor } from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespaceError } from '../errors.js';
import { LocalPeers } from '../testing/local-peers.js';
import { createBucketOp } from '../testing/requests.js';
import { makeTempDir } from '../testing/temp-dir.js';
import { ReplicaHost } from './replica-host.js';

const ROLE = namespaceV1.ReplicaRole;
const cleanup = new Cleanup();
const keyspace = new Keyspace('/rh-test/');
let etcd: Etcd3;

beforeAll(async () => {
  const server = await startEtcd();
  cleanup.add(() => server.destroy());
  etcd = connectEtcd(server.endpoints);
  cleanup.add(() => etcd.close());
}, 30_000);
afterAll(() => cleanup.run());

async function putChain(record: Omit<ChainRecord, 'updatedAt'>): Promise<void> {
  await etcd
    .put(keyspace.chain(record.partition))
    .value(ChainRecordCodec.encode({ ...record, updatedAt: new Date().toISOString() }));
}

function route(epoch: number, partitionId = 0): namespaceV1.PartitionRoute {
  return create(namespaceV1.PartitionRouteSchema, { partitionId, chainEpoch: BigInt(epoch) });
}

describe('ReplicaHost', () => {
  it('hosts the partitions its records name, follows their epochs, and fences on a lost lease', async () => {
    const tmp = await makeTempDir('replica-host');
    cleanup.add(() => tmp.remove());
    await putChain({ partition: 0, epoch: 1, replicas: ['m1'], joining: [] });
    await putChain({ partition: 1, epoch: 1, replicas: ['other'], joining: [] });
    const peers = new LocalPeers();
    const host = await ReplicaHost.open({
      etcd,
      keyspace,
      memberId: 'm1',
      dataDir: tmp.dir,
      peers,
      mapSizeBytes: 2 ** 28,
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    cleanup.add(() => host.close());
    peers.register('m1', host);
    expect(host.all().map((r) => r.partition)).toEqual([0]);
    const replica = host.replica(0);
    if (replica === undefined) throw new Error('partition 0 not hosted');
    expect(replica.position).toMatchObject({ role: ROLE.SOLE, epoch: 1n });
    expect(await replica.write(createBucketOp('bkt'), route(1))).not.toBeInstanceOf(NamespaceError);

    const membership = new EventEmitter();
    host.attachMembership(membership as unknown as Membership);
    membership.emit('lost', 'keepalive-failed');
    const fenced = await replica.write(createBucketOp('bkt2'), route(1));
    expect(fenced instanceof NamespaceError && fenced.code).toBe('NOT_SERVING');
    const fencedRead = replica.reader(route(1));
    expect(fencedRead instanceof NamespaceError && fencedRead.code).toBe('NOT_SERVING');
    membership.emit('registered', { key: 'k', leaseId: '1', generation: 2 });
    expect(await replica.write(createBucketOp('bkt2'), route(1))).not.toBeInstanceOf(NamespaceError);

    // A new epoch from etcd: callers at the old one are told to refresh.
    await putChain({ partition: 0, epoch: 2, replicas: ['m1'], joining: [] });
    await waitFor('epoch 2', () => replica.position.epoch === 2n);
    const stale = await replica.write(createBucketOp('bkt3'), route(1));
    expect(stale instanceof NamespaceError && stale.code).toBe('STALE_EPOCH');
    // Dropped from the chain: it keeps its data but serves nothing.
    await putChain({ partition: 0, epoch: 3, replicas: ['other'], joining: [] });
    await waitFor('not a member', () => replica.position.role === ROLE.NOT_MEMBER);
    const dropped = await replica.write(createBucketOp('bkt3'), route(3));
    expect(dropped instanceof NamespaceError && dropped.code).toBe('WRONG_ROLE');
    expect(replica.durable).toBe(2n);
    // A record naming it later opens the partition too.
    await putChain({ partition: 1, epoch: 2, replicas: ['other'], joining: ['m1'] });
    await waitFor('partition 1 hosted', () => host.replica(1) !== undefined);
    expect(host.replica(1)?.position.role).toBe(ROLE.JOINING);
  }, 30_000);
});
