import { createHash } from 'node:crypto';

/**
 * Which partition owns an object key: the first 8 bytes of
 * SHA-256(bucket ‖ 0x00 ‖ key), big-endian, modulo the partition count.
 *
 * A hash spreads one hot bucket (or one hot prefix) over every partition, at
 * the price that a listing fans out to all partitions and merges their pages
 * (listing/list-merge.ts). The modulo is deliberate: with a power-of-two count
 * N, doubling to 2N sends each key of partition p to p or p + N and nowhere
 * else, so a split copies one partition into a new chain and each side drops
 * the half it no longer owns (README, "Partitioning"). This function is part
 * of the data format: changing it moves every key.
 */
export function partitionOfKey(bucket: string, key: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) throw new RangeError('partition count must be ≥ 1');
  const digest = createHash('sha256').update(bucket, 'utf8').update(ZERO).update(key, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(partitionCount));
}

/**
 * The partition that decides a bucket's creation and deletion (its "home"):
 * the owner of the bucket's empty key. Every partition also holds a copy of
 * the bucket record, so that object writes check the bucket locally.
 */
export function homePartitionOfBucket(bucket: string, partitionCount: number): number {
  return partitionOfKey(bucket, '', partitionCount);
}

const ZERO = Buffer.from([0]);
