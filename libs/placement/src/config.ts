import { BaseConfigSchema } from '@platter/service-host';
import { z } from 'zod';
import {
  DEFAULT_BACKGROUND_CHOICES,
  DEFAULT_CHOICES,
  DEFAULT_FILL_HIGH_WATER,
  DEFAULT_RESERVATION_TTL_MS,
  type AllocatorOptions,
} from './allocator.js';
import { DEFAULT_SCORE_WEIGHTS } from './disk-score.js';
import { DEFAULT_REBALANCE_POLICY, type RebalancePolicy } from './rebalance-planner.js';
import type { Rng } from './rng.js';

const ratio = (min: number, max: number) => z.coerce.number().min(min).max(max);
// Booleans arrive as strings from the environment and as booleans from a JSON file.
const flag = z.union([z.boolean(), z.stringbool()]);

/** Configuration of a placement process: the base settings every service shares, plus allocation and rebalancing. */
export const placementConfigSchema = BaseConfigSchema.extend({
  placementChoices: z.coerce
    .number()
    .int()
    .min(1)
    .max(8)
    .default(DEFAULT_CHOICES)
    .describe('Candidates compared per shard for foreground writes (2 = power of two choices, 1 = random)'),
  placementBackgroundChoices: z.coerce
    .number()
    .int()
    .min(1)
    .max(8)
    .default(DEFAULT_BACKGROUND_CHOICES)
    .describe('Candidates compared per shard for repair and rebalance writes'),
  placementFillHighWater: ratio(0.5, 1)
    .default(DEFAULT_FILL_HIGH_WATER)
    .describe('Fill ratio above which a disk is chosen only when nothing else fits (FILL_LIMIT)'),
  placementHeatWeight: ratio(0, 100)
    .default(DEFAULT_SCORE_WEIGHTS.heat)
    .describe('Weight of relative heat in the score'),
  placementFillWeight: ratio(0, 100)
    .default(DEFAULT_SCORE_WEIGHTS.fill)
    .describe('Weight of relative fill in the score'),
  placementFillBonusCap: ratio(0, 1)
    .default(DEFAULT_SCORE_WEIGHTS.fillBonusCap)
    .describe('Largest score advantage an under-filled disk gets from being empty (relative fill units)'),
  placementOverfillWeight: ratio(0, 1000)
    .default(DEFAULT_SCORE_WEIGHTS.overfill)
    .describe('Score cost per unit of relative fill above placementOverfillAbove'),
  placementOverfillAbove: ratio(1, 10)
    .default(DEFAULT_SCORE_WEIGHTS.overfillAbove)
    .describe('Fill relative to the fleet mean above which the overfill cost applies'),
  placementReservationTtlMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(DEFAULT_RESERVATION_TTL_MS)
    .describe('How long a size hint stays reserved on a chosen disk, in ms (0 disables)'),
  rebalanceBytesPerSecond: z.coerce
    .number()
    .int()
    .min(0)
    .default(200 * 2 ** 20)
    .describe('Fleet-wide rate of rebalancing moves, in bytes per second (0 stops the rebalancer)'),
  rebalanceIntervalMs: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(5_000)
    .describe('Time between two rebalancing rounds on the elected leader, in ms'),
  rebalanceFillHighWater: ratio(1, 10)
    .default(DEFAULT_REBALANCE_POLICY.fillHighWater)
    .describe('Fill relative to the fleet mean above which a disk sheds data'),
  rebalanceFillLowWater: ratio(0, 1)
    .default(DEFAULT_REBALANCE_POLICY.fillLowWater)
    .describe('Fill relative to the fleet mean below which a disk receives moves'),
  rebalanceFillTargetExit: ratio(0, 1)
    .default(DEFAULT_REBALANCE_POLICY.fillTargetExit)
    .describe('Fill relative to the fleet mean up to which a disk being filled keeps receiving moves'),
  rebalanceMinFillGap: ratio(0, 1)
    .default(DEFAULT_REBALANCE_POLICY.minFillGap)
    .describe('Smallest gap between a disk fill ratio and the mean (share of capacity) worth moving data for'),
  rebalanceHeatHighWater: ratio(1, 100)
    .default(DEFAULT_REBALANCE_POLICY.heatHighWater)
    .describe('Heat relative to the fleet mean above which a disk sheds data'),
  rebalanceTargetHeatCeiling: ratio(0, 100)
    .default(DEFAULT_REBALANCE_POLICY.targetHeatCeiling)
    .describe('Heat relative to the fleet mean that a move target must stay under'),
  rebalanceMaxBytesPerDisk: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_REBALANCE_POLICY.maxBytesPerTarget)
    .describe('Bytes moved onto or off one disk per round at most'),
  rebalanceBurstBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(2 ** 30)
    .describe('Bytes of moves one round may plan at most when the rate budget has built up'),
  rebalanceMaxSources: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(64)
    .describe('Source disks named per rebalancing round at most'),
  rebalanceStreamMaxLen: z.coerce
    .number()
    .int()
    .min(100)
    .max(10_000_000)
    .default(100_000)
    .describe('Approximate length cap of the Redis stream of move tasks (XADD MAXLEN ~)'),
  electionTtlSeconds: z.coerce
    .number()
    .int()
    .min(2)
    .max(300)
    .default(10)
    .describe('Lease TTL of the rebalancer leader election, in s: how long a dead leader blocks a successor'),
  autoActivateJoining: flag
    .default(false)
    .describe('Let the leader activate JOINING disks that are live (local clusters); off: an operator admits disks'),
  redisUrl: z
    .string()
    .url()
    .optional()
    .describe('Redis for heat and the move-task stream, e.g. redis://127.0.0.1:6379; without it heat is unknown'),
  heatKeyPrefix: z.string().default('platter:').describe('Prefix of heat keys and of the move-task stream in Redis'),
  heatPollIntervalMs: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1_000)
    .describe('How often heat and usage are read from Redis into the allocation view, in ms'),
});
export type PlacementConfig = z.infer<typeof placementConfigSchema>;

/** Allocator options from a parsed config, with the caller's random source. */
export function allocatorOptionsFromConfig(config: PlacementConfig, rng: Rng): AllocatorOptions {
  return {
    rng,
    choices: config.placementChoices,
    backgroundChoices: config.placementBackgroundChoices,
    fillHighWater: config.placementFillHighWater,
    score: {
      heat: config.placementHeatWeight,
      fill: config.placementFillWeight,
      fillBonusCap: config.placementFillBonusCap,
      overfill: config.placementOverfillWeight,
      overfillAbove: config.placementOverfillAbove,
    },
    reservationTtlMs: config.placementReservationTtlMs,
  };
}

/** Rebalance policy from a parsed config (heatPerMovedByte stays the caller's estimate). */
export function rebalancePolicyFromConfig(config: PlacementConfig): Partial<RebalancePolicy> {
  return {
    fillHighWater: config.rebalanceFillHighWater,
    fillLowWater: config.rebalanceFillLowWater,
    fillTargetExit: config.rebalanceFillTargetExit,
    minFillGap: config.rebalanceMinFillGap,
    heatHighWater: config.rebalanceHeatHighWater,
    targetHeatCeiling: config.rebalanceTargetHeatCeiling,
    maxBytesPerTarget: config.rebalanceMaxBytesPerDisk,
    maxBytesPerSource: config.rebalanceMaxBytesPerDisk,
    absoluteFillLimit: config.placementFillHighWater,
  };
}
