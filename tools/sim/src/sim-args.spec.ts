import { describe, expect, it } from 'vitest';
import { parseSimArgs, SimArgsError } from './sim-args.js';

describe('parseSimArgs', () => {
  it('defaults to the full run and scales the quick one down', () => {
    const full = parseSimArgs([]);
    expect(full.stripes).toBe(10_000_000);
    expect(full.strategies).toEqual(['random', 'p2c', 'p2c-rebalance']);
    expect(full.scenarios).toEqual(['steady', 'new-rack', 'zone-drain']);
    const quick = parseSimArgs(['--quick']);
    expect(quick.quick).toBe(true);
    expect(quick.stripes).toBe(1_000_000);
    expect(quick.stepAllocations).toBe(200);
  });

  it('reads options and refuses unknown or malformed ones', () => {
    const a = parseSimArgs([
      '--stripes=5000',
      '--strategies=p2c',
      '--scenarios=new-rack,steady',
      '--seed=7',
      '--fill-weight=2',
      '--choices=3',
      '--heat-share=0.1',
      '--heat-high-water=1.2',
      '--steer-above=1.2',
      '--steer-level-rounds=0',
    ]);
    expect(a).toMatchObject({ stripes: 5000, strategies: ['p2c'], scenarios: ['new-rack', 'steady'], seed: 7 });
    expect(a.score.fill).toBe(2);
    expect(a).toMatchObject({ choices: 3, heatShare: 0.1, heatHighWater: 1.2, steerAbove: 1.2, steerLevelRounds: 0 });
    expect(parseSimArgs([])).toMatchObject({
      choices: 2,
      heatShare: 0.05,
      heatHighWater: 1.05,
      steerAbove: 1.05,
      steerLevelRounds: 3,
    });
    expect(parseSimArgs(['--steer-above=off']).steerAbove).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseSimArgs(['--choices=0'])).toThrow(SimArgsError);
    expect(() => parseSimArgs(['--steer-level-rounds=-1'])).toThrow(SimArgsError);
    expect(() => parseSimArgs(['--strategies=best'])).toThrow(SimArgsError);
    expect(() => parseSimArgs(['--stripes=-1'])).toThrow(SimArgsError);
    expect(() => parseSimArgs(['--nope=1'])).toThrow(SimArgsError);
    expect(() => parseSimArgs(['stray'])).toThrow(SimArgsError);
  });
});
