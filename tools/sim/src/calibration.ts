import { createRng } from '@platter/placement';
import { Workload, type WorkloadOptions } from './workload.js';

/** Parts drawn to estimate the workload's means; the Pareto tail converges slowly, so many. */
const CALIBRATION_PARTS = 400_000;

export interface Calibration {
  meanStripesPerPart: number;
  meanShardBytes: number;
  /** Share of bytes in parts of objects above the body (tail objects), for the report. */
  tailByteShare: number;
}

/** Estimates what a part of the workload looks like on average, from an independent draw. */
export function calibrate(workload: WorkloadOptions, seed: number): Calibration {
  const w = new Workload(workload, createRng(seed ^ 0x5eed));
  let stripes = 0;
  let bytes = 0;
  let tailBytes = 0;
  for (let i = 0; i < CALIBRATION_PARTS; i++) {
    const part = w.nextPart();
    stripes += part.stripes;
    bytes += part.shardBytes;
    if (part.shardBytes * workload.dataShards >= workload.tailMinBytes) tailBytes += part.shardBytes;
  }
  return {
    meanStripesPerPart: stripes / CALIBRATION_PARTS,
    meanShardBytes: bytes / CALIBRATION_PARTS,
    tailByteShare: tailBytes / bytes,
  };
}
