import type { Redis } from '@platter/heat';
import type { RepairSink } from '../s3/object-store-deps.js';

// Shards a PUT could not store go to the repair service's Redis stream at
// once (ARCHITECTURE.md, write path 4). Losing Redis loses only this hint:
// the auditor finds every under-replicated stripe again.

/** The repair service's task stream (consumer group "repair"). */
export const REPAIR_STREAM_KEY = 'platter:repair:tasks';
/** Kept bounded: a backlog beyond this is the auditor's to rediscover. */
const REPAIR_STREAM_MAX_LEN = 1_000_000;

export class RedisRepairSink implements RepairSink {
  constructor(private readonly redis: Redis) {}

  async missingShards(task: {
    bucket: string;
    key: string;
    versionId: string;
    partNumber: number;
    shardIndexes: number[];
  }): Promise<void> {
    await this.redis.xadd(
      REPAIR_STREAM_KEY,
      'MAXLEN',
      '~',
      REPAIR_STREAM_MAX_LEN,
      '*',
      'kind',
      'missing-shards',
      'bucket',
      task.bucket,
      'key',
      task.key,
      'versionId',
      task.versionId,
      'partNumber',
      String(task.partNumber),
      'shardIndexes',
      task.shardIndexes.join(','),
    );
  }
}
