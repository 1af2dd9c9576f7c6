import {
  DiskLiveRecordCodec,
  DiskRecordCodec,
  type DiskRecord,
  type DiskState,
  type Etcd3,
  type Keyspace,
} from '@platter/cluster';

/** One disk to put in the inventory, as a storage node would register it. */
export interface SeedDisk {
  diskId: string;
  nodeId: string;
  zone: string;
  rack: string;
  host: string;
  capacityBytes: number;
  /** The record's state; storage nodes register `joining`, the tests often want `active` at once. */
  state?: DiskState;
  /** host:port written in the live record. */
  address?: string;
}

/**
 * Writes disks into the etcd inventory the way storage nodes do
 * (libs/storage DiskInventory): the persistent record `disks/<id>` created
 * only if absent (one transaction), and the live record `disks-live/<id>`
 * bound to a lease. Returns the lease id, so a test can revoke it (a node
 * going away) or keep it alive.
 */
export async function seedInventory(
  etcd: Etcd3,
  keyspace: Keyspace,
  disks: readonly SeedDisk[],
  options: { ttlSeconds?: number; live?: boolean } = {},
): Promise<{ leaseId: string | undefined; revoke(): Promise<void> }> {
  const now = new Date().toISOString();
  for (const d of disks) {
    const record: DiskRecord = {
      diskId: d.diskId,
      nodeId: d.nodeId,
      labels: { zone: d.zone, rack: d.rack, host: d.host },
      state: d.state ?? 'joining',
      capacityBytes: d.capacityBytes,
      createdAt: now,
      updatedAt: now,
    };
    const key = keyspace.disk(d.diskId);
    await etcd
      .if(key, 'Create', '==', 0)
      .then(etcd.put(key).value(DiskRecordCodec.encode(record)))
      .commit();
  }
  if (options.live === false) return { leaseId: undefined, revoke: () => Promise.resolve() };
  // A lease kept alive by etcd3's own keep-alive, like a storage node's membership lease.
  const lease = etcd.lease(options.ttlSeconds ?? 30, { autoKeepAlive: true });
  lease.on('lost', () => undefined);
  for (const d of disks) {
    const live = { diskId: d.diskId, nodeId: d.nodeId, grpcAddress: d.address ?? '127.0.0.1:1', since: now };
    await lease.put(keyspace.diskLive(d.diskId)).value(DiskLiveRecordCodec.encode(live));
  }
  return { leaseId: await lease.grant(), revoke: () => lease.revoke().then(() => undefined) };
}

/**
 * The local cluster's fleet shape (deploy/local/cluster.yaml: zones of racks
 * of hosts, disksPerHost disks each), named as the launcher names them:
 * disk `<host>-d<n>` on node `storage-<host>`.
 */
export function localClusterDisks(
  zones: readonly { name: string; racks: readonly { name: string; hosts: readonly string[] }[] }[],
  disksPerHost: number,
  capacityBytes: number,
): SeedDisk[] {
  const out: SeedDisk[] = [];
  for (const z of zones)
    for (const r of z.racks)
      for (const host of r.hosts)
        for (let n = 1; n <= disksPerHost; n++)
          out.push({
            diskId: `${host}-d${n}`,
            nodeId: `storage-${host}`,
            zone: z.name,
            rack: r.name,
            host,
            capacityBytes,
            state: 'active',
          });
  return out;
}
