import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code } from '@platter/rpc';
import { commonV1, storageV1 } from '@platter/proto';
import type { DamagedShard, ShardInfo } from '@platter/shardstore';
import { storageError } from './error-detail.js';

type DamagedBlockInit = MessageInitShape<typeof storageV1.DamagedBlockSchema>;

const BD = storageV1.BlockDamage;

function blockOf(info: ShardInfo, index: number, damage: storageV1.BlockDamage): DamagedBlockInit {
  const offset = index * info.blockSize;
  return {
    blockIndex: index,
    offset: BigInt(offset),
    length: Math.min(info.blockSize, info.length - offset),
    damage,
    expectedCrc32c: info.blockCrcs[index] ?? 0,
    // The engine never hands out bytes that failed their CRC, nor their CRC:
    // 0 means "not known" here, as it does for unreadable blocks.
    actualCrc32c: 0,
  };
}

function allBlocks(info: ShardInfo): number[] {
  return Array.from({ length: info.blockCrcs.length }, (_, i) => i);
}

/**
 * The contract's damaged blocks for an engine verdict. Damage only to the
 * record header (the index still describes the data, and every block
 * verifies) is not block damage: reads stay correct, so it reports none.
 * A damaged index entry leaves nothing to describe the shard by: DATA_LOSS.
 */
export function damagedBlocks(info: ShardInfo, damage: DamagedShard | undefined): DamagedBlockInit[] {
  if (damage === undefined) return [];
  switch (damage.kind) {
    case 'data':
      return damage.blocks.map((b) => blockOf(info, b, BD.CHECKSUM_MISMATCH));
    case 'io':
      return (damage.blocks.length > 0 ? damage.blocks : allBlocks(info)).map((b) => blockOf(info, b, BD.READ_ERROR));
    case 'missing':
      return allBlocks(info).map((b) => blockOf(info, b, BD.TRUNCATED));
    case 'header':
      return [];
    case 'index':
      throw storageError(
        Code.DATA_LOSS,
        commonV1.ErrorReason.CHECKSUM_MISMATCH,
        "the shard's index entry is damaged",
        info.shardId,
      );
  }
}
