import type { Redis } from 'ioredis';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { commonV1 } from '@platter/proto';
import { HeatCodecError } from './errors.js';
import { decodeHeat } from './heat-codec.js';
import { HeatKeyspace } from './heat-keys.js';

/**
 * A sample older than this by the reader's clock is stale even if its key is
 * still there, ms. Twice the publisher's TTL: the TTL (Redis's own clock) is
 * the real bound; this one only guards against keys that lost their TTL, and
 * leaves room for modest clock skew between nodes.
 */
export const DEFAULT_HEAT_MAX_AGE_MS = 10_000;

/**
 * What a reader knows about one disk's heat. Anything but a fresh sample is
 * `unknown` — never "cold": a disk that stopped publishing may be the hottest
 * one (overloaded, or its node is dying).
 */
export type HeatReading =
  | { status: 'fresh'; heat: commonV1.DiskHeat; ageSeconds: number }
  | { status: 'unknown'; reason: 'missing' | 'stale' | 'malformed' | 'unavailable' };

export interface HeatReaderOptions {
  redis: Redis;
  keyspace?: HeatKeyspace;
  maxAgeMs?: number;
  /** Wall clock, ms; injectable for tests. */
  now?: () => number;
}

/** Reads heat samples (placement's and the CLI's side). */
export class HeatReader {
  private readonly redis: Redis;
  private readonly keyspace: HeatKeyspace;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: HeatReaderOptions) {
    this.redis = options.redis;
    this.keyspace = options.keyspace ?? new HeatKeyspace();
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_HEAT_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * The heat of each disk, in one round trip. Never rejects: if Redis cannot
   * be asked, every disk is `unknown` / `unavailable`.
   */
  async read(diskIds: readonly string[]): Promise<Map<string, HeatReading>> {
    const out = new Map<string, HeatReading>();
    if (diskIds.length === 0) return out;
    const keys = diskIds.map((id) => this.keyspace.diskHeat(id));
    let values: Array<Buffer | null>;
    try {
      values = await this.redis.mgetBuffer(...keys);
    } catch {
      for (const id of diskIds) out.set(id, { status: 'unknown', reason: 'unavailable' });
      return out;
    }
    diskIds.forEach((id, i) => out.set(id, this.judge(id, values[i] ?? null)));
    return out;
  }

  private judge(diskId: string, raw: Buffer | null): HeatReading {
    if (raw === null) return { status: 'unknown', reason: 'missing' };
    let heat: commonV1.DiskHeat;
    try {
      heat = decodeHeat(raw);
    } catch (err) {
      if (err instanceof HeatCodecError) return { status: 'unknown', reason: 'malformed' };
      throw err;
    }
    if (heat.diskId !== diskId || heat.sampledAt === undefined) return { status: 'unknown', reason: 'malformed' };
    const ageMs = this.now() - timestampMs(heat.sampledAt);
    if (Math.abs(ageMs) > this.maxAgeMs) return { status: 'unknown', reason: 'stale' };
    return { status: 'fresh', heat, ageSeconds: Math.max(0, ageMs) / 1000 };
  }
}
