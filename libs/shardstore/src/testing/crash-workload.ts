import { crc32c } from '@platter/isal';
import { patternBytes } from './temp-dir.js';

// The crash test's shards are self-describing: size and bytes follow from the
// id, so the checker can judge any shard it finds, acknowledged or not.

/** Largest crash-test shard: several 64 KiB blocks, so partial records are possible. */
export const CRASH_MAX_SHARD_BYTES = 300 * 1024;
export const CRASH_BLOCK_BYTES = 64 * 1024;
/** Small extents so that rollover and compaction happen within one short run. */
export const CRASH_EXTENT_BYTES = 2 * 2 ** 20;
export const CRASH_CLUSTER_ID = 'crash-test';

export function crashShardBytes(shardId: string): Buffer {
  const h = crc32c(Buffer.from(shardId, 'utf8'));
  // Every 16th shard is empty or exactly one block: edge cases stay in the mix.
  const size = h % 16 === 0 ? 0 : h % 16 === 1 ? CRASH_BLOCK_BYTES : h % CRASH_MAX_SHARD_BYTES;
  return patternBytes(h, size);
}
