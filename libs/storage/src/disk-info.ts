import type { MessageInitShape } from '@bufbuild/protobuf';
import type { storageV1 } from '@platter/proto';
import { SHARDSTORE_FORMAT } from '@platter/shardstore';
import { diskSpace } from './disk-usage.js';
import type { HostedDisk } from './hosted-disk.js';
import type { StorageContext } from './storage-context.js';

/**
 * Version of the engine's on-disk format (superblock, extents, index): the
 * number the engine's format name ends with ("platter-shardstore/2" → 2).
 */
export const SHARDSTORE_FORMAT_VERSION = Number(/\/(\d+)$/.exec(SHARDSTORE_FORMAT)?.[1] ?? 0);

type DiskInfoInit = MessageInitShape<typeof storageV1.DiskInfoSchema>;

/** GetDiskInfo for one disk: identity, inventory state, space, counts; failed disks too. */
export async function describeDisk(disk: HostedDisk, ctx: StorageContext): Promise<DiskInfoInit> {
  const view = ctx.states.stateOf(disk.id);
  const space = await diskSpace(disk);
  let shardCount = 0n;
  let extentCount = 0;
  if (disk.store !== undefined) {
    try {
      const s = await disk.store.stats();
      shardCount = BigInt(s.liveShards);
      extentCount = s.extentCount;
    } catch {
      // A closing store: zeros.
    }
  }
  return {
    disk: {
      diskId: disk.id,
      diskUuid: disk.diskUuid,
      nodeId: ctx.node.nodeId,
      address: ctx.node.address(),
      failureDomain: ctx.node.failureDomain,
    },
    state: view.state,
    stateEpoch: view.stateEpoch,
    usage: space,
    shardCount,
    extentCount,
    // The engine does not count tombstones (see README, "Gaps").
    tombstoneCount: 0n,
    readOnly: disk.failed,
    formatVersion: disk.store === undefined ? 0 : SHARDSTORE_FORMAT_VERSION,
  };
}
