import { describe, expect, it } from 'vitest';
import { ReadSteering } from './read-steering.js';

const ids = ['a', 'b', 'c', 'd', 'e', 'p1', 'p2', 'p3', 'p4'];

/** A seeded generator, so that the draws are the same on every run. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('ReadSteering', () => {
  it('reads the data shards while no disk is hot', () => {
    const s = new ReadSteering({ above: 1.05, gain: 0.5, release: 0.5 });
    expect(s.chooseShards(ids, 5)).toEqual([0, 1, 2, 3, 4]);
    s.update([{ diskId: 'a', relativeHeat: 1.0 }]);
    expect(s.steeredDisks).toBe(0);
  });

  it('skips a hot disk by the share of its load above the line, growing while it stays hot', () => {
    const s = new ReadSteering({ above: 1.05, gain: 0.5, release: 0.5 });
    s.update([{ diskId: 'a', relativeHeat: 1.5 }]);
    expect(s.skipProbability('a')).toBeCloseTo((0.5 * 0.45) / 1.5, 10);
    s.update([{ diskId: 'a', relativeHeat: 1.5 }]);
    expect(s.skipProbability('a')).toBeCloseTo((2 * 0.5 * 0.45) / 1.5, 10);
    // Listed below the line: it takes reads back by the same rule.
    s.update([{ diskId: 'a', relativeHeat: 1.0 }]);
    expect(s.skipProbability('a')).toBeCloseTo((2 * 0.5 * 0.45) / 1.5 - (0.5 * 0.05) / 1.05, 10);
    // An idle disk gives back at most `gain` per refresh.
    s.update([{ diskId: 'c', relativeHeat: 10 }]);
    s.update([{ diskId: 'c', relativeHeat: 10 }]);
    const c = s.skipProbability('c');
    s.update([{ diskId: 'c', relativeHeat: 0.01 }]);
    expect(s.skipProbability('c')).toBeCloseTo(c - (0.5 * 1.04) / 1.05, 10);
    // No longer listed: released geometrically, then forgotten.
    for (let i = 0; i < 20; i++) s.update([]);
    expect(s.skipProbability('a')).toBe(0);
    expect(s.steeredDisks).toBe(0);
    for (let i = 0; i < 10; i++) s.update([{ diskId: 'b', relativeHeat: 10 }]);
    expect(s.skipProbability('b')).toBe(1);
    s.reset();
    expect(s.steeredDisks).toBe(0);
  });

  it('always picks k distinct shards and sheds about the skip probability of a hot data disk to parity', () => {
    const s = new ReadSteering({ above: 1.05, gain: 1, release: 0.5, random: lcg(7) });
    s.update([{ diskId: 'b', relativeHeat: 2.1 }]); // skip probability 0.5
    const p = s.skipProbability('b');
    const counts = new Array(ids.length).fill(0);
    const runs = 20_000;
    for (let r = 0; r < runs; r++) {
      const chosen = s.chooseShards(ids, 5);
      expect(new Set(chosen).size).toBe(5);
      for (const i of chosen) counts[i]++;
    }
    expect(counts[1] / runs).toBeCloseTo(1 - p, 1);
    for (const i of [0, 2, 3, 4]) expect(counts[i]).toBe(runs);
    // The substitutes spread over the parity shards.
    const parity = counts.slice(5);
    expect(parity.reduce((a, b) => a + b, 0)).toBe(runs - counts[1]);
    for (const c of parity) expect(c / runs).toBeGreaterThan(0.08);
  });

  it("sheds a hot disk below 1.1 × the mean even when its stripe's parity disks already sit at the line", () => {
    // One stripe, background load per disk as a multiple of the fleet mean: disk a is hot, its
    // parity disks are just under the line, so an equilibrium that never takes a taker over the
    // line (tools/sim before its levelling rounds) leaves a at 0.85 + 0.5 − 4 × 0.05 = 1.15.
    // The controller keeps skipping a while it is above the line; the takers it heats shed back.
    const background = [0.85, 0.3, 0.3, 0.3, 0.3, 1.0, 1.0, 1.0, 1.0];
    const partRate = 0.5;
    const line = 1.05;
    const s = new ReadSteering({ above: line, gain: 0.5, release: 0.5, random: lcg(3) });
    const reads = 2_000;
    const mean = new Array<number>(ids.length).fill(0);
    const rounds = 300;
    const measured = 100;
    for (let round = 0; round < rounds; round++) {
      const counts = new Array<number>(ids.length).fill(0);
      for (let r = 0; r < reads; r++) for (const i of s.chooseShards(ids, 5)) counts[i] = (counts[i] as number) + 1;
      const load = background.map((b, i) => b + (partRate * (counts[i] as number)) / reads);
      if (round >= rounds - measured) load.forEach((l, i) => (mean[i] = (mean[i] as number) + l / measured));
      s.update(
        load
          .map((l, i) => ({ diskId: ids[i] as string, relativeHeat: l }))
          .filter((h) => h.relativeHeat >= 0.98 * line),
      );
    }
    expect(mean[0]).toBeLessThan(1.1);
    for (const i of [5, 6, 7, 8]) {
      expect(mean[i]).toBeGreaterThan(1.0); // they took a's reads
      expect(mean[i]).toBeLessThan(1.1);
    }
    // Every read still reads five shards.
    expect(mean.reduce((a, b) => a + b, 0)).toBeCloseTo(background.reduce((a, b) => a + b, 0) + 5 * partRate, 6);
  });

  it('falls back to the least-skipped disks when every shard is hot', () => {
    const s = new ReadSteering({ above: 1.05, gain: 1, release: 0.5, random: () => 0 });
    s.update(ids.map((diskId, i) => ({ diskId, relativeHeat: 1e6 - i })));
    const chosen = s.chooseShards(ids, 5);
    expect(new Set(chosen).size).toBe(5);
    expect(chosen.every((i) => i >= 0 && i < ids.length)).toBe(true);
  });
});
