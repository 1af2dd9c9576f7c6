import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { storageV1 } from '@platter/proto';
import type { ShardInfo } from '@platter/shardstore';

/** The contract's ShardInfo for an engine ShardInfo; block CRCs only when asked for. */
export function shardInfoMessage(
  info: ShardInfo,
  includeBlockCrcs: boolean,
): MessageInitShape<typeof storageV1.ShardInfoSchema> {
  return {
    shardId: info.shardId,
    length: BigInt(info.length),
    blockSize: info.blockSize,
    blockCount: info.blockCrcs.length,
    createdAt: timestampFromMs(info.time),
    // The engine keeps no verification time yet (see README, "Gaps"): unset means "never", which is safe.
    blockCrc32c: includeBlockCrcs ? [...info.blockCrcs] : [],
  };
}
