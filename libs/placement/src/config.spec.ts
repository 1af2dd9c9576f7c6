import { describe, expect, it } from 'vitest';
import { allocatorOptionsFromConfig, placementConfigSchema, rebalancePolicyFromConfig } from './config.js';
import { createRng } from './rng.js';

describe('placementConfigSchema', () => {
  const base = { id: 'placement-1', etcdEndpoints: 'http://127.0.0.1:2379' };

  it('fills every placement default and describes every field', () => {
    const config = placementConfigSchema.parse(base);
    expect(config.placementChoices).toBe(2);
    expect(config.placementFillHighWater).toBe(0.9);
    expect(config.rebalanceFillLowWater).toBe(0.9);
    expect(config.rebalanceFillTargetExit).toBe(0.98);
    expect(config.rebalanceTargetHeatCeiling).toBe(1.1);
    for (const [name, field] of Object.entries(placementConfigSchema.shape))
      expect((field as { description?: string }).description, name).toBeTruthy();
    const options = allocatorOptionsFromConfig(config, createRng(1));
    expect(options.choices).toBe(2);
    expect(options.score).toEqual({ heat: 1, fill: 1, fillBonusCap: 0, overfill: 16, overfillAbove: 1.02 });
    expect(rebalancePolicyFromConfig(config).absoluteFillLimit).toBe(0.9);
  });

  it('coerces environment strings and rejects out-of-range values', () => {
    expect(placementConfigSchema.parse({ ...base, placementChoices: '1' }).placementChoices).toBe(1);
    expect(placementConfigSchema.safeParse({ ...base, placementChoices: 0 }).success).toBe(false);
    expect(placementConfigSchema.safeParse({ ...base, placementFillHighWater: 1.5 }).success).toBe(false);
  });

  it('keeps disk admission with the operator unless told otherwise, and reads the flag from the environment', () => {
    expect(placementConfigSchema.parse(base).autoActivateJoining).toBe(false);
    expect(placementConfigSchema.parse({ ...base, autoActivateJoining: 'true' }).autoActivateJoining).toBe(true);
    expect(placementConfigSchema.parse({ ...base, autoActivateJoining: 'false' }).autoActivateJoining).toBe(false);
    const config = placementConfigSchema.parse(base);
    expect(config.heatPollIntervalMs).toBe(1_000);
    expect(config.rebalanceIntervalMs).toBe(5_000);
    expect(config.redisUrl).toBeUndefined();
    expect(placementConfigSchema.safeParse({ ...base, heatPollIntervalMs: 10 }).success).toBe(false);
  });
});
