// The inventory watch over a real etcd: records joined with live keys, the
// state epoch as the record's etcd version, and changes (a state write, a
// lease gone) arriving as one coalesced 'change'.
import { connectEtcd, DiskRecordCodec, Keyspace, type Etcd3 } from '@platter/cluster';
import { createLogger } from '@platter/telemetry';
import { Cleanup, startEtcd, waitFor } from '@platter/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInventory } from '../testing/seed-inventory.js';
import type { InventoryDisk } from './inventory-disk.js';
import { InventoryWatch } from './inventory-watch.js';

const cleanup = new Cleanup();
const keyspace = new Keyspace();
let etcd: Etcd3;
let watch: InventoryWatch;
let latest: InventoryDisk[] = [];
let changes = 0;
let revokeLive: () => Promise<void>;

const disk = (diskId: string, host: string) => ({
  diskId,
  nodeId: `storage-${host}`,
  zone: 'z1',
  rack: 'r1',
  host,
  capacityBytes: 1e12,
});

beforeAll(async () => {
  const server = await startEtcd();
  cleanup.add(() => server.destroy());
  etcd = connectEtcd(server.endpoints);
  cleanup.add(() => etcd.close());
  ({ revoke: revokeLive } = await seedInventory(etcd, keyspace, [disk('d1', 'h1'), disk('d2', 'h2')]));
  await seedInventory(etcd, keyspace, [disk('d3', 'h3')], { live: false });
  watch = await InventoryWatch.open({ etcd, keyspace, logger: createLogger({ service: 't', level: 'silent' }) });
  cleanup.add(() => watch.close());
  watch.on('change', (disks: InventoryDisk[]) => {
    latest = disks;
    changes++;
  });
});
afterAll(() => cleanup.run());

describe('InventoryWatch', () => {
  it('joins records with live keys and reads each record version as its state epoch', () => {
    const disks = watch.disks();
    expect(disks.map((d) => [d.record.diskId, d.record.state, d.stateEpoch, d.live !== undefined])).toEqual([
      ['d1', 'joining', 1, true],
      ['d2', 'joining', 1, true],
      ['d3', 'joining', 1, false],
    ]);
    expect(BigInt(watch.revision)).toBeGreaterThan(0n);
  });

  it('follows a state write with the new epoch', async () => {
    const key = keyspace.disk('d1');
    const record = DiskRecordCodec.decode((await etcd.get(key).exec()).kvs[0]!.value);
    await etcd.put(key).value(DiskRecordCodec.encode({ ...record, state: 'active' }));
    await waitFor(
      'the change',
      () => latest.find((d) => d.record.diskId === 'd1')?.stateEpoch === 2 && latest[0]?.record.state === 'active',
      { timeoutMs: 5_000 },
    );
  });

  it('drops the live records of a node whose lease is gone, in one coalesced change', async () => {
    const before = changes;
    await revokeLive();
    await waitFor('live keys to go', () => latest.length === 3 && latest.every((d) => d.live === undefined), {
      timeoutMs: 5_000,
    });
    // Two keys went in one revocation: one rebuild, not two.
    expect(changes - before).toBe(1);
  });
});
