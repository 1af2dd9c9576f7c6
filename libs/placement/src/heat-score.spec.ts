import { describe, expect, it } from 'vitest';
import { HDD_SATURATION, heatScore } from './heat-score.js';

describe('heatScore', () => {
  const idle = { queueDepth: 0, readOpsPerSecond: 0, writeOpsPerSecond: 0, latencyP99Seconds: 0 };

  it('is 0 for an idle disk and the most saturated signal otherwise', () => {
    expect(heatScore(idle)).toBe(0);
    expect(heatScore({ ...idle, readOpsPerSecond: 60 })).toBeCloseTo(0.5);
    expect(heatScore({ ...idle, readOpsPerSecond: 30, writeOpsPerSecond: 30, queueDepth: 6 })).toBeCloseTo(0.75);
    expect(heatScore({ ...idle, latencyP99Seconds: 0.25 })).toBeCloseTo(2.5);
    expect(heatScore({ ...idle, queueDepth: 8 }, { ...HDD_SATURATION, queueDepth: 16 })).toBeCloseTo(0.5);
  });

  it('never returns NaN or a negative score', () => {
    expect(heatScore({ ...idle, readOpsPerSecond: Number.NaN })).toBe(0);
    expect(heatScore({ ...idle, queueDepth: -3 })).toBe(0);
  });
});
