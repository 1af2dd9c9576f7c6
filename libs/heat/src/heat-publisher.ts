import type { Redis } from 'ioredis';
import type { commonV1 } from '@platter/proto';
import { HeatError } from './errors.js';
import { encodeHeat } from './heat-codec.js';
import { HeatKeyspace } from './heat-keys.js';

/**
 * Lifetime of a published sample, ms. Samples go out every second, so five
 * missed publications make a disk's heat vanish, and a reader sees "unknown"
 * rather than an old number.
 */
export const DEFAULT_HEAT_TTL_MS = 5_000;

export interface HeatPublisherOptions {
  redis: Redis;
  keyspace?: HeatKeyspace;
  ttlMs?: number;
}

/** Writes heat samples (the storage node's side). */
export class HeatPublisher {
  private readonly redis: Redis;
  private readonly keyspace: HeatKeyspace;
  private readonly ttlMs: number;

  constructor(options: HeatPublisherOptions) {
    this.redis = options.redis;
    this.keyspace = options.keyspace ?? new HeatKeyspace();
    this.ttlMs = options.ttlMs ?? DEFAULT_HEAT_TTL_MS;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 1) throw new HeatError('ttlMs must be a positive integer');
  }

  /** Stores each sample under its disk's key with the TTL, in one round trip. Rejects if Redis did not take them all. */
  async publish(samples: readonly commonV1.DiskHeat[]): Promise<void> {
    if (samples.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const s of samples) pipeline.set(this.keyspace.diskHeat(s.diskId), encodeHeat(s), 'PX', this.ttlMs);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed !== undefined)
      throw new HeatError('redis refused heat samples', { cause: failed?.[0] ?? undefined });
  }
}
