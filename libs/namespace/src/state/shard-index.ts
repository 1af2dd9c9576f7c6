import type { commonV1 } from '@platter/proto';
import { encodeDiskShardRecord, type ShardOwner } from '../encoding/disk-shard-record.js';
import { diskShardKey } from '../encoding/table-keys.js';
import { invalidArgument, type NamespaceError } from '../errors.js';
import type { PartitionStore } from '../store/partition-store.js';
import type { MutationSet } from './mutation-set.js';

/**
 * The disk → shards index, kept in the same entry as the records it indexes:
 * every shard location of every committed version and in-progress upload has
 * exactly one row (disk id, shard id) → slot, so repair can find what a lost
 * disk held and the auditor can merge-join it with the disk's own listing.
 */

export function indexShard(
  mutations: MutationSet,
  owner: ShardOwner,
  partNumber: number,
  location: commonV1.ShardLocation,
  shardLength: bigint,
): void {
  mutations.put(
    'disk_shards',
    diskShardKey(location.diskId, location.shardId),
    encodeDiskShardRecord(owner, partNumber, location.shardIndex, shardLength),
  );
}

export function unindexShard(mutations: MutationSet, location: commonV1.ShardLocation): void {
  mutations.delete('disk_shards', diskShardKey(location.diskId, location.shardId));
}

export function indexPart(mutations: MutationSet, owner: ShardOwner, part: commonV1.PartLayout): void {
  for (const location of part.shards) indexShard(mutations, owner, part.partNumber, location, part.shardLength);
}

export function unindexPart(mutations: MutationSet, part: commonV1.PartLayout): void {
  for (const location of part.shards) unindexShard(mutations, location);
}

/** Index every striped part of a version's layout (inline layouts have no shards). */
export function indexLayout(
  mutations: MutationSet,
  layout: commonV1.ObjectLayout | undefined,
  owner: ShardOwner,
): void {
  if (layout?.data.case !== 'striped') return;
  for (const part of layout.data.value.parts) indexPart(mutations, owner, part);
}

export function unindexLayout(mutations: MutationSet, layout: commonV1.ObjectLayout | undefined): void {
  if (layout?.data.case !== 'striped') return;
  for (const part of layout.data.value.parts) unindexPart(mutations, part);
}

/**
 * A shard id names one copy for ever, so it fills at most one slot. A write
 * that would index a shard some other slot still holds is refused (a caller
 * bug, or a retry so late that its write id has expired: either way applying
 * it would let the first holder's removal unindex a live shard). Rows this
 * entry removes first (the version or part being replaced) are free.
 */
export function takenShard(
  store: PartitionStore,
  mutations: MutationSet,
  locations: Iterable<commonV1.ShardLocation>,
): NamespaceError | undefined {
  for (const location of locations) {
    const key = diskShardKey(location.diskId, location.shardId);
    if (store.get('disk_shards', key) !== undefined && !mutations.deletes('disk_shards', key)) {
      return invalidArgument('shard already fills another slot', location.shardId);
    }
  }
  return undefined;
}

export function layoutShards(layout: commonV1.ObjectLayout | undefined): commonV1.ShardLocation[] {
  return layout?.data.case === 'striped' ? layout.data.value.parts.flatMap((p) => p.shards) : [];
}

export function sameLocation(a: commonV1.ShardLocation, b: commonV1.ShardLocation): boolean {
  return a.diskId === b.diskId && a.shardId === b.shardId && a.shardIndex === b.shardIndex;
}
