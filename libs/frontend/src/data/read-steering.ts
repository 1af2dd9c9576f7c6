// Steers whole-stripe reads off hot disks. Any k of a stripe's k + m shards
// rebuild it, and a read of a whole stripe asks k shards whichever they are,
// so reading a parity shard instead of a data shard on a hot disk costs a
// decode (ISA-L, GB/s per core), not one more I/O. Placement moves bytes over
// hours; this moves reads within seconds, and it is what keeps one hot object
// from heating its disks (tools/sim README: the hottest disks were hot
// because of one shard that no move could place).
//
// Each frontend keeps, per hot disk, the probability of skipping it, and
// adjusts it on every heat refresh by how far the disk is from the line
// (an integral controller): every frontend sees the same heat, so together
// they shed just enough to bring the disk back to the line and no more, and
// a disk that cools gets its reads back over a few refreshes.

export interface ReadSteeringOptions {
  /** Relative heat (over the fleet mean) above which a disk sheds reads. */
  above: number;
  /** How much of the distance to the line one refresh corrects (0 < gain ≤ 1). */
  gain: number;
  /** Factor a disk's skip probability shrinks by per refresh once it is no longer listed as hot. */
  release: number;
  random?: () => number;
}

/** A hot disk as one heat refresh reports it. */
export interface HotDisk {
  diskId: string;
  /** Its heat over the fleet's mean heat. */
  relativeHeat: number;
}

/** Below this a skip probability is dropped (the disk reads as cool again). */
const NEGLIGIBLE = 0.005;

export class ReadSteering {
  private readonly skip = new Map<string, number>();
  private readonly random: () => number;

  constructor(private readonly options: ReadSteeringOptions) {
    this.random = options.random ?? Math.random;
  }

  /**
   * One heat refresh: `hot` lists every disk at or above the line (and
   * possibly some just under it); disks not listed are under the line.
   */
  update(hot: readonly HotDisk[]): void {
    const { above, gain, release } = this.options;
    const listed = new Set<string>();
    for (const { diskId, relativeHeat } of hot) {
      if (!(relativeHeat > 0) || !Number.isFinite(relativeHeat)) continue;
      listed.add(diskId);
      // Above the line: the share of its load over it. Below: the same distance over the line, so
      // that a disk idle because every read avoids it (a slow one looks cool then) gives at most
      // `gain` back per refresh instead of dropping its steering at once.
      const p = (this.skip.get(diskId) ?? 0) + (gain * (relativeHeat - above)) / Math.max(relativeHeat, above);
      this.set(diskId, Math.min(1, p));
    }
    for (const [diskId, p] of this.skip) if (!listed.has(diskId)) this.set(diskId, p * release);
  }

  /** Forgets every disk: reads go back to the data shards (heat is unknown). */
  reset(): void {
    this.skip.clear();
  }

  /** The probability that a whole-stripe read skips this disk. */
  skipProbability(diskId: string): number {
    return this.skip.get(diskId) ?? 0;
  }

  /** Relative heat above which a disk sheds reads. */
  get line(): number {
    return this.options.above;
  }

  /** Disks being steered around now. */
  get steeredDisks(): number {
    return this.skip.size;
  }

  /**
   * The k shard indexes a whole-stripe read asks first, given each shard's
   * disk (index order: data shards 0..k-1, then parity). A data shard whose
   * disk draws "skip" is replaced by a parity shard, least-skipped disk
   * first (ties in random order, so that substitutes spread); if too few
   * are left, skipped shards come back, least-skipped first.
   */
  chooseShards(diskIds: readonly string[], k: number): number[] {
    const first = Array.from({ length: k }, (_, i) => i);
    if (this.skip.size === 0) return first;
    const chosen: number[] = [];
    const skipped: number[] = [];
    for (let i = 0; i < k; i++) {
      const p = this.skipProbability(diskIds[i] ?? '');
      if (p > 0 && this.random() < p) skipped.push(i);
      else chosen.push(i);
    }
    if (skipped.length === 0) return first;
    const parity = Array.from({ length: diskIds.length - k }, (_, j) => ({
      i: k + j,
      p: this.skipProbability(diskIds[k + j] ?? ''),
      tie: this.random(),
    }));
    parity.sort((a, b) => a.p - b.p || a.tie - b.tie);
    for (const { i, p } of parity) {
      if (chosen.length === k) break;
      if (p > 0 && this.random() < p) {
        skipped.push(i);
        continue;
      }
      chosen.push(i);
    }
    if (chosen.length < k) {
      skipped.sort((a, b) => this.skipProbability(diskIds[a] ?? '') - this.skipProbability(diskIds[b] ?? ''));
      for (const i of skipped) {
        if (chosen.length === k) break;
        chosen.push(i);
      }
    }
    return chosen.sort((a, b) => a - b);
  }

  private set(diskId: string, p: number): void {
    if (p < NEGLIGIBLE) this.skip.delete(diskId);
    else this.skip.set(diskId, p);
  }
}
