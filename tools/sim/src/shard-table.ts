/**
 * Where every simulated part's shards are, in flat typed arrays (millions of
 * parts do not fit as objects), plus a list of shard entries per disk so
 * that failures and the rebalancer can find what a disk holds, oldest first.
 *
 * A shard that moves gets a new entry on its new disk; its old entry stays
 * behind, stale, and is skipped (an entry is live while the part's shard
 * still points at that disk).
 *
 * Each disk also keeps a ring of the last RECENT_PER_DISK shards that
 * arrived on it, old shards moved in for fill or drain aside: hot shards
 * are recent ones (reads cool with age), so heat moves and read steering
 * find them without walking a disk's whole list, and a disk being filled
 * with old data still finds the new hot shard it was given.
 */
/**
 * Shards remembered per disk as recent arrivals. About half a shard lands on
 * a disk per step, ~50 a simulated day, so 128 cover ~2.5 cooling times
 * (τ = 1 day): older shards have cooled below a tenth of their first heat.
 */
export const RECENT_PER_DISK = 128;

export class ShardTable {
  /** Parts recorded. */
  count = 0;
  disks: Int32Array;
  shardBytes: Float32Array;
  /** Simulated second the part was written. */
  bornAt: Float32Array;
  /** Each part's read weight (HeatModel.readWeight): its read rate now is weight × nowFactor. */
  readWeight: Float64Array;
  /**
   * Per shard (part × width + index), the share of the part's reads it
   * serves: 1 for data shards and 0 for parity when written; frontends that
   * steer reads away from a hot disk shift share from one shard to another
   * of the same part (a full-stripe read takes any k of the k + m shards,
   * so the shares of a part always sum to k and none exceeds 1).
   */
  readShare: Float32Array;

  private entryShard: Int32Array;
  private entryNext: Int32Array;
  private entries = 0;
  private head: Int32Array;
  private tail: Int32Array;
  /** Per disk, RECENT_PER_DISK shard slots (part × width + index) in a ring; -1 when empty. */
  private readonly recent: Int32Array;
  /** Per disk, the ring position the next arrival takes. */
  private readonly recentNext: Int32Array;

  constructor(
    readonly width: number,
    diskSlots: number,
    expectedParts: number,
  ) {
    const cap = Math.max(1024, expectedParts);
    this.disks = new Int32Array(cap * width);
    this.shardBytes = new Float32Array(cap);
    this.bornAt = new Float32Array(cap);
    this.readWeight = new Float64Array(cap);
    this.readShare = new Float32Array(cap * width);
    this.entryShard = new Int32Array(cap * width);
    this.entryNext = new Int32Array(cap * width);
    this.head = new Int32Array(diskSlots).fill(-1);
    this.tail = new Int32Array(diskSlots).fill(-1);
    this.recent = new Int32Array(diskSlots * RECENT_PER_DISK).fill(-1);
    this.recentNext = new Int32Array(diskSlots);
  }

  /** Records a part whose shard i sits on disks[i], its first `dataShards` shards serving its reads; returns its id. */
  add(disks: ArrayLike<number>, dataShards: number, shardBytes: number, bornAt: number, readWeight: number): number {
    if (this.count === this.shardBytes.length) this.growParts();
    const p = this.count++;
    for (let i = 0; i < this.width; i++) {
      const d = disks[i] as number;
      this.disks[p * this.width + i] = d;
      this.readShare[p * this.width + i] = i < dataShards ? 1 : 0;
      this.link(d, p * this.width + i);
    }
    this.shardBytes[p] = shardBytes;
    this.bornAt[p] = bornAt;
    this.readWeight[p] = readWeight;
    return p;
  }

  shareOf(part: number, index: number): number {
    return this.readShare[part * this.width + index] as number;
  }

  /** Shifts `share` of part's reads from shard `from` to shard `to`. */
  shiftShare(part: number, from: number, to: number, share: number): void {
    const base = part * this.width;
    this.readShare[base + from] = (this.readShare[base + from] as number) - share;
    this.readShare[base + to] = (this.readShare[base + to] as number) + share;
  }

  diskOf(part: number, index: number): number {
    return this.disks[part * this.width + index] as number;
  }

  /** Moves shard `index` of `part` to disk `to`; `recent`: it may be hot, so it joins the disk's recent arrivals. */
  move(part: number, index: number, to: number, recent = true): void {
    this.disks[part * this.width + index] = to;
    this.link(to, part * this.width + index, recent);
  }

  /** The stripe's disks except shard `index`'s, as -1 for that slot. */
  othersOf(part: number, index: number, out: Int32Array): Int32Array {
    for (let i = 0; i < this.width; i++) out[i] = i === index ? -1 : (this.disks[part * this.width + i] as number);
    return out;
  }

  /**
   * Calls fn(part, index) for each live shard on disk d, oldest first, until
   * fn returns false. Drops stale entries at the head of the list as it goes.
   */
  forEachOn(d: number, fn: (part: number, index: number) => boolean): void {
    // Stale entries at the head are gone for good: skip them once.
    let e = this.head[d] as number;
    while (e >= 0 && this.disks[this.entryShard[e] as number] !== d) e = this.entryNext[e] as number;
    this.head[d] = e;
    if (e < 0) this.tail[d] = -1;
    for (; e >= 0; e = this.entryNext[e] as number) {
      const slot = this.entryShard[e] as number;
      if (this.disks[slot] !== d) continue;
      if (!fn(Math.floor(slot / this.width), slot % this.width)) return;
    }
  }

  /**
   * Calls fn(part, index) for each live shard among the last
   * RECENT_PER_DISK arrivals on disk d, newest first, until fn returns
   * false.
   */
  forEachRecentOn(d: number, fn: (part: number, index: number) => boolean): void {
    const base = d * RECENT_PER_DISK;
    let pos = this.recentNext[d] as number;
    for (let n = 0; n < RECENT_PER_DISK; n++) {
      pos = pos === 0 ? RECENT_PER_DISK - 1 : pos - 1;
      const slot = this.recent[base + pos] as number;
      if (slot < 0) return;
      if (this.disks[slot] !== d) continue;
      if (!fn(Math.floor(slot / this.width), slot % this.width)) return;
    }
  }

  private link(d: number, slot: number, recent = true): void {
    if (recent) {
      const pos = this.recentNext[d] as number;
      this.recent[d * RECENT_PER_DISK + pos] = slot;
      this.recentNext[d] = pos + 1 === RECENT_PER_DISK ? 0 : pos + 1;
    }
    if (this.entries === this.entryShard.length) this.growEntries();
    const e = this.entries++;
    this.entryShard[e] = slot;
    this.entryNext[e] = -1;
    const t = this.tail[d] as number;
    if (t < 0) this.head[d] = e;
    else this.entryNext[t] = e;
    this.tail[d] = e;
  }

  private growParts(): void {
    const cap = this.shardBytes.length * 2;
    this.disks = grow(this.disks, cap * this.width);
    this.shardBytes = grow(this.shardBytes, cap);
    this.bornAt = grow(this.bornAt, cap);
    this.readWeight = grow(this.readWeight, cap);
    this.readShare = grow(this.readShare, cap * this.width);
  }

  private growEntries(): void {
    const cap = Math.ceil(this.entryShard.length * 1.5);
    this.entryShard = grow(this.entryShard, cap);
    this.entryNext = grow(this.entryNext, cap);
  }
}

function grow<T extends Int32Array | Float32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
