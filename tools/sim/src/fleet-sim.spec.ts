import { describe, expect, it } from 'vitest';
import { runSimulation, type SimParams } from './fleet-sim.js';
import { DEFAULT_WORKLOAD } from './workload.js';

const MiB = 2 ** 20;

/** A small fleet (3 × 2 racks × 3 hosts × 4 disks = 72 disks) for a few seconds of simulation. */
function params(overrides: Partial<SimParams> = {}): SimParams {
  const shape = { zones: 3, racksPerZone: 2, hostsPerRack: 3, disksPerHost: 4, capacityBytes: 4 * 2 ** 30 };
  return {
    shape,
    drainShape: { ...shape, zones: 4 },
    dataShards: 5,
    parityShards: 4,
    blockBytes: MiB,
    stripes: 30_000,
    expectedParts: 20_000,
    meanShardBytes: 0.9 * MiB,
    days: 10,
    stepAllocations: 20,
    samples: 20,
    annualFailureRate: 2,
    eventAt: 1 / 3,
    rebalanceShareOfIngest: 0.25,
    heatRebalanceShareOfIngest: 0.05,
    heatHighWater: 1.05,
    steerReadsAbove: 1.05,
    steerReadsMinHeat: 0.25,
    steerLevelRounds: 3,
    choices: 2,
    coolingSeconds: 86_400,
    seed: 5,
    workload: { ...DEFAULT_WORKLOAD, dataShards: 5, blockBytes: MiB },
    score: {},
    ...overrides,
  };
}

describe('runSimulation (small fleet)', () => {
  it('places every stripe without ever breaking the zone rule, repairs failed disks, and is deterministic', () => {
    const a = runSimulation(params(), 'p2c', 'steady');
    const s = a.summary;
    expect(s.stripes).toBeGreaterThanOrEqual(30_000);
    expect(s.failedAllocations).toBe(0);
    expect(s.diskFailures).toBeGreaterThan(0);
    expect(s.repairedShards).toBeGreaterThan(0);
    expect(s.layoutViolations).toEqual({ maxMPerZone: 0, distinctDisks: 0, oneShardPerHost: 0, onFailedDisk: 0 });
    expect(a.samples.length).toBeGreaterThan(10);
    expect(s.final.fillMean).toBeGreaterThan(0);
    expect(runSimulation(params(), 'p2c', 'steady').summary.final).toEqual(s.final);
  });

  it('power of two keeps fill flatter than random placement', () => {
    const random = runSimulation(params(), 'random', 'steady').summary.final;
    const p2c = runSimulation(params(), 'p2c', 'steady').summary.final;
    expect(p2c.fillMaxOverMean).toBeLessThan(random.fillMaxOverMean);
  });

  it('fills a new rack faster with the rebalancer than without', () => {
    const plain = runSimulation(params({ annualFailureRate: 0 }), 'p2c', 'new-rack').summary;
    const moved = runSimulation(params({ annualFailureRate: 0 }), 'p2c-rebalance', 'new-rack').summary;
    expect(moved.disks).toBe(72 + 12);
    expect(moved.moves).toBeGreaterThan(0);
    expect(moved.newRack?.fillOverMeanAtEnd).toBeGreaterThan(plain.newRack?.fillOverMeanAtEnd as number);
    expect(moved.layoutViolations.maxMPerZone).toBe(0);
    expect(moved.layoutViolations.oneShardPerHost).toBe(0);
  });

  it('relieves hot disks with heat moves, keeping every rule', () => {
    // Without read steering, which would cool most hot disks before the planner sees them.
    const unsteered = { annualFailureRate: 0, steerReadsAbove: Number.POSITIVE_INFINITY };
    const withHeat = runSimulation(params(unsteered), 'p2c-rebalance', 'steady').summary;
    // A high-water mark no disk reaches: the same run without heat moves.
    const without = runSimulation(params({ ...unsteered, heatHighWater: 100 }), 'p2c-rebalance', 'steady').summary;
    expect(withHeat.movedBytesByReason.heat).toBeGreaterThan(0);
    expect(without.movedBytesByReason.heat).toBe(0);
    expect(withHeat.secondHalf.heatMaxOverMean).toBeLessThan(without.secondHalf.heatMaxOverMean);
    expect(withHeat.secondHalf.heatP99OverMean).toBeLessThan(without.secondHalf.heatP99OverMean);
    expect(withHeat.layoutViolations).toEqual({
      maxMPerZone: 0,
      distinctDisks: 0,
      oneShardPerHost: 0,
      onFailedDisk: 0,
    });
  });

  it('steers reads off hot disks onto other shards of their stripes, flattening heat', () => {
    const steered = runSimulation(params({ annualFailureRate: 0 }), 'p2c', 'steady').summary;
    const plain = runSimulation(
      params({ annualFailureRate: 0, steerReadsAbove: Number.POSITIVE_INFINITY }),
      'p2c',
      'steady',
    ).summary;
    expect(plain.steeredReadShare).toBe(0);
    expect(steered.steeredReadShare).toBeGreaterThan(0);
    expect(steered.steeredReadShare).toBeLessThan(0.5);
    expect(steered.secondHalf.heatMaxOverMean).toBeLessThan(plain.secondHalf.heatMaxOverMean);
    expect(steered.layoutViolations).toEqual(plain.layoutViolations);
  });

  it("levels a disk that steering under the line leaves hot with its stripes' cooler disks", () => {
    // The frontends' controllers keep shedding a disk above the line whatever its stripes' other
    // disks carry; without levelling the sim stops where every taker reached the line.
    const run = (steerLevelRounds: number) =>
      runSimulation(params({ annualFailureRate: 0, steerLevelRounds }), 'p2c-rebalance', 'new-rack').summary;
    const underLine = run(0).newRack?.duringMove;
    const levelled = run(3).newRack?.duringMove;
    expect(levelled?.hotDiskSteps).toBeLessThan(underLine?.hotDiskSteps as number);
    expect(levelled?.fleetMaxHeatOverMeanMax).toBeLessThan(underLine?.fleetMaxHeatOverMeanMax as number);
    expect(levelled?.fleetMaxHeatOverMeanMaxAtRefresh).toBeLessThan(
      underLine?.fleetMaxHeatOverMeanMaxAtRefresh as number,
    );
  });

  it('drains a zone of a four-zone fleet with the rebalancer, keeping every rule', () => {
    const drain = runSimulation(params({ annualFailureRate: 0 }), 'p2c-rebalance', 'zone-drain').summary;
    expect(drain.zoneDrain?.bytesAtStart).toBeGreaterThan(0);
    expect(drain.zoneDrain?.leftAtEnd).toBeLessThan(0.5);
    expect(drain.failedAllocations).toBe(0);
    expect(drain.layoutViolations).toMatchObject({ maxMPerZone: 0, distinctDisks: 0, oneShardPerHost: 0 });
  });
});
