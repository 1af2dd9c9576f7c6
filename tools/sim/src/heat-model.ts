/**
 * Per-disk load, in operations per second, and its heat score (load over a
 * hard disk's ~120 IOPS). Three parts:
 *   - hot reads: every data shard is read at its part's rate, which decays
 *     exponentially with age — kept as one decaying sum per disk, so a step
 *     costs one multiplication per disk, not one per shard;
 *   - cold reads: proportional to the bytes a disk holds (old data is still
 *     read, a little);
 *   - writes: bytes written (new shards, repairs, moves) at a cost per
 *     byte, as a decaying sum over `writeWindowSeconds`: extents are
 *     appended sequentially, so writes cost little next to random reads,
 *     and a real disk sees thousands of them a second — the window stands
 *     in for that smoothness, which a scaled-down fleet lacks.
 * Parity shards take no reads while every data shard's disk is cool (the code
 * is systematic); read steering shifts reads between shards of a part.
 */
export interface HeatModelOptions {
  /** e-folding time of a part's read rate, seconds. */
  coolingSeconds: number;
  /** Operations per second that saturate a disk (score 1). */
  saturationIops: number;
  /** IOPS one unit of relative read rate is worth on a data shard. */
  iopsPerReadRate: number;
  /** IOPS per byte held (cold reads). */
  coldIopsPerByte: number;
  /** Operations per byte written (a byte written over one second costs this many IOPS). */
  writeIopsPerByte: number;
  /** Time constant of the write load's decaying sum, seconds. */
  writeWindowSeconds: number;
}

export class HeatModel {
  /** Hot read IOPS per disk, as of the last decay. */
  readonly hot: Float64Array;
  /** Bytes written to each disk, as a sum decaying over the write window. */
  readonly written: Float64Array;

  constructor(
    readonly options: HeatModelOptions,
    diskSlots: number,
  ) {
    this.hot = new Float64Array(diskSlots);
    this.written = new Float64Array(diskSlots);
  }

  /**
   * A part's read weight: what its rate (IOPS of one shard serving all its
   * reads) is at time `now` once multiplied by `nowFactor(now)`. The decay
   * is split so that a refresh costs one exp, not one per shard.
   */
  readWeight(readRate: number, bornAt: number): number {
    return this.options.iopsPerReadRate * readRate * Math.exp(bornAt / this.options.coolingSeconds);
  }

  nowFactor(now: number): number {
    return Math.exp(-now / this.options.coolingSeconds);
  }

  addHot(d: number, iops: number): void {
    this.hot[d] = (this.hot[d] as number) + iops;
  }

  removeHot(d: number, iops: number): void {
    const v = (this.hot[d] as number) - iops;
    this.hot[d] = v > 0 ? v : 0;
  }

  addWritten(d: number, bytes: number): void {
    this.written[d] = (this.written[d] as number) + bytes;
  }

  /** Lets `seconds` pass for the hot and write sums. */
  decay(seconds: number): void {
    const f = Math.exp(-seconds / this.options.coolingSeconds);
    const w = Math.exp(-seconds / this.options.writeWindowSeconds);
    for (let d = 0; d < this.hot.length; d++) {
      this.hot[d] = (this.hot[d] as number) * f;
      this.written[d] = (this.written[d] as number) * w;
    }
  }

  /** Heat score of disk d holding `usedBytes`. */
  score(d: number, usedBytes: number): number {
    const o = this.options;
    const iops =
      (this.hot[d] as number) +
      o.coldIopsPerByte * usedBytes +
      (o.writeIopsPerByte * (this.written[d] as number)) / o.writeWindowSeconds;
    return iops / o.saturationIops;
  }

  /** Heat score one byte written (or moved) onto a disk adds right away. */
  scorePerWrittenByte(): number {
    return this.options.writeIopsPerByte / this.options.writeWindowSeconds / this.options.saturationIops;
  }

  forget(d: number): void {
    this.hot[d] = 0;
    this.written[d] = 0;
  }
}
