/**
 * Turns a raw heat sample (common.proto DiskHeat) into placement's load
 * score: 0 idle, 1 at the disk's estimated saturation, possibly above 1.
 * The score is the most saturated of three signals, because a disk is as
 * busy as its busiest resource: operations against its random-I/O budget,
 * queue depth against the depth where latency starts to climb, and p99
 * latency against the latency a saturated disk shows.
 */
export interface HeatSample {
  queueDepth: number;
  readOpsPerSecond: number;
  writeOpsPerSecond: number;
  latencyP99Seconds: number;
}

export interface DiskSaturation {
  /** Random operations per second the disk sustains. */
  opsPerSecond: number;
  /** Queue depth at which the disk is saturated. */
  queueDepth: number;
  /** p99 latency of a saturated disk, seconds. */
  latencyP99Seconds: number;
}

/**
 * A 7,200 rpm hard disk: about 120 random IOPS (seek + half a rotation ≈ 8 ms),
 * saturated around 8 queued operations, when p99 latency passes ~100 ms.
 */
export const HDD_SATURATION: DiskSaturation = { opsPerSecond: 120, queueDepth: 8, latencyP99Seconds: 0.1 };

export function heatScore(sample: HeatSample, saturation: DiskSaturation = HDD_SATURATION): number {
  const ops = (sample.readOpsPerSecond + sample.writeOpsPerSecond) / saturation.opsPerSecond;
  const queue = sample.queueDepth / saturation.queueDepth;
  const latency = sample.latencyP99Seconds / saturation.latencyP99Seconds;
  const score = Math.max(ops, queue, latency);
  return Number.isFinite(score) && score > 0 ? score : 0;
}
