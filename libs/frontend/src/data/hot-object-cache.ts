import type { namespaceV1 } from '@platter/proto';

// Small objects read many times a second, kept in this frontend's memory.
// Read steering spreads a stripe's reads over its k + m disks, but a single
// object hotter than that (a popular image, a config file every client
// polls) still puts k / (k + m) of its reads on each of its disks; only a
// copy in front of the disks splits it further (tools/sim README).
//
// Never stale: a GET always asks the namespace first (strongly consistent),
// and the cache is keyed by what that answer names — the version, its ETag
// and the id of its first shard, which is new on every write — so an
// overwritten or deleted object is never found here. Bytes enter only from a
// whole read whose every chunk passed its CRC.

export interface HotObjectCacheOptions {
  /** Memory the cache may hold, bytes (0: off). */
  capacityBytes: number;
  /** Larger objects are never cached: their reads are already spread over many stripes. */
  maxObjectBytes: number;
  /** Reads of one object within `windowMs` after which the next whole read fills the cache. */
  admitReads: number;
  windowMs: number;
  now?: () => number;
}

/** Objects whose reads are being counted, at most: beyond it the counts start over. */
const MAX_COUNTED = 100_000;

export class HotObjectCache {
  /** Map order is recency: a hit moves the entry to the end, eviction takes from the front. */
  private readonly entries = new Map<string, Buffer>();
  private readonly reads = new Map<string, { n: number; since: number }>();
  private held = 0;
  private readonly now: () => number;
  readonly stats = { hits: 0, fills: 0, evictions: 0 };

  constructor(private readonly o: HotObjectCacheOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The cache key of a version with erasure-coded data; undefined for anything it never holds. */
  static idOf(v: namespaceV1.ObjectVersion): string | undefined {
    const data = v.layout?.data;
    if (data?.case !== 'striped') return undefined;
    const shard = data.value.parts[0]?.shards[0]?.shardId;
    if (shard === undefined) return undefined;
    return `${v.bucket}\u0000${v.key}\u0000${v.versionId}\u0000${v.etag}\u0000${shard}`;
  }

  get bytes(): number {
    return this.held;
  }

  get(id: string): Buffer | undefined {
    const b = this.entries.get(id);
    if (b === undefined) return undefined;
    this.entries.delete(id);
    this.entries.set(id, b);
    this.stats.hits++;
    return b;
  }

  /** Counts one read of an object of `size` bytes; true when this read, if whole, should fill the cache. */
  noteRead(id: string, size: number): boolean {
    if (size <= 0 || size > this.o.maxObjectBytes || size > this.o.capacityBytes) return false;
    const t = this.now();
    let c = this.reads.get(id);
    if (c === undefined || t - c.since > this.o.windowMs) {
      if (this.reads.size >= MAX_COUNTED) this.reads.clear();
      c = { n: 0, since: t };
      this.reads.set(id, c);
    }
    c.n++;
    return c.n >= this.o.admitReads;
  }

  put(id: string, bytes: Buffer): void {
    if (this.entries.has(id) || bytes.length > this.o.capacityBytes) return;
    for (const [old, b] of this.entries) {
      if (this.held + bytes.length <= this.o.capacityBytes) break;
      this.entries.delete(old);
      this.held -= b.length;
      this.stats.evictions++;
    }
    this.entries.set(id, bytes);
    this.held += bytes.length;
    this.reads.delete(id);
    this.stats.fills++;
  }
}

/**
 * Passes a whole object's chunks through and, once the last one is out,
 * keeps a copy in the cache. A read cut short (the client went away, a
 * stripe could not be read) keeps nothing.
 */
export async function* fillingCache(
  cache: HotObjectCache,
  id: string,
  size: number,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const kept: Uint8Array[] = [];
  let total = 0;
  for await (const c of chunks) {
    kept.push(c);
    total += c.length;
    yield c;
  }
  if (total === size) cache.put(id, Buffer.concat(kept, total));
}
