import type { commonV1 } from '@platter/proto';
import { encodeDiskShardRecord, type ShardOwner } from '../encoding/disk-shard-record.js';
import { diskShardKey } from '../encoding/table-keys.js';
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

export function sameLocation(a: commonV1.ShardLocation, b: commonV1.ShardLocation): boolean {
  return a.diskId === b.diskId && a.shardId === b.shardId && a.shardIndex === b.shardIndex;
}
