import { DISK_STATES } from '../disk-snapshot.js';
import type { FleetView } from '../fleet-view.js';

/** Summary of a set of numbers (fill ratios or heat scores); zeros when the set is empty. */
export interface Spread {
  count: number;
  mean: number;
  min: number;
  max: number;
  stddev: number;
  p50: number;
  p99: number;
}

/**
 * Fill and heat over ACTIVE disks (heat: those with a fresh sample only),
 * optionally of one zone. O(disks) plus a sort: for GetFleetHeat and the
 * imbalance gauges at scrape time, never per allocation.
 */
export interface FleetStats {
  fill: Spread;
  heat: Spread;
}

const ACTIVE = DISK_STATES.indexOf('active');

export function fleetStats(view: FleetView, include: (i: number) => boolean = () => true): FleetStats {
  const fills: number[] = [];
  const heats: number[] = [];
  for (let i = 0; i < view.size; i++) {
    if (view.stateOf[i] !== ACTIVE || !include(i)) continue;
    fills.push(view.fillRatio(i));
    const h = view.heat[i] as number;
    if (h === h) heats.push(h);
  }
  return { fill: spread(fills), heat: spread(heats) };
}

export function spread(values: number[]): Spread {
  const n = values.length;
  if (n === 0) return { count: 0, mean: 0, min: 0, max: 0, stddev: 0, p50: 0, p99: 0 };
  values.sort((a, b) => a - b);
  let sum = 0;
  for (const v of values) sum += v;
  // Summing n equal values can land an ulp outside them; the mean of a set never does.
  const mean = Math.min(values[n - 1] as number, Math.max(values[0] as number, sum / n));
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const at = (q: number): number => values[Math.min(n - 1, Math.floor(q * n))] as number;
  return {
    count: n,
    mean,
    min: values[0] as number,
    max: values[n - 1] as number,
    stddev: Math.sqrt(sq / n),
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** x / mean, or 0 when the mean is 0 (an empty or idle fleet is not imbalanced). */
export function overMean(x: number, mean: number): number {
  return mean > 0 ? x / mean : 0;
}
