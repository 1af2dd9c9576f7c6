import { Code, RpcError } from '@platter/rpc';

// storage.proto: writer-minted ids are 32 lowercase hex characters (128 random bits).
// Checked on every RPC, so no other string ever reaches the engine's index.
const SHARD_ID = /^[0-9a-f]{32}$/;

export function checkShardId(shardId: string): string {
  if (!SHARD_ID.test(shardId))
    throw new RpcError(Code.INVALID_ARGUMENT, 'shard_id must be 32 lowercase hex characters');
  return shardId;
}
