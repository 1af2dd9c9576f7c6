import type { FleetView } from './fleet-view.js';

/**
 * How power of two choices compares two candidate disks: lower wins.
 *
 *   score = heat × relHeat + fill × max(relFill, 1 − fillBonusCap)
 *         + overfill × max(0, relFill − overfillAbove)
 *
 * relHeat is the disk's heat over the fleet mean (unknown heat scores as a
 * hot disk, see FleetView), relFill its fill ratio after the write over the
 * fleet mean. Both are relative, so the weights mean the same on an idle
 * fleet and a busy one.
 *
 * A disk below the mean fill earns at most `fillBonusCap` (0 by default):
 * an empty new disk must not draw every new (hot) write until it is as full
 * as the rest — the rebalancer fills new disks with cold data instead. The
 * steep `overfill` term caps fill from above: heat alone varies by tens of
 * percent between disks (hot and cold tenants), and without it a disk that
 * happens to hold cool data keeps winning until it is far fuller than the
 * rest.
 */
export interface ScoreWeights {
  heat: number;
  fill: number;
  fillBonusCap: number;
  overfill: number;
  /** Relative fill above which the overfill term applies. */
  overfillAbove: number;
}

/**
 * Tuned with tools/sim (3,600 and 36,000 disks, heavy-tailed sizes, bursty
 * tenants, a new rack, a zone drain). An empty disk gets no bonus at all:
 * it is already cooler than the rest (it serves no old data), so heat alone
 * draws new writes to it, and any bonus on top only made new racks run hot.
 * Each point of relative fill above 1.02 × the mean costs as much as 16
 * points of relative heat: fill stays within ~5% of the mean while heat
 * decides nearly every other comparison.
 */
export const DEFAULT_SCORE_WEIGHTS: ScoreWeights = {
  heat: 1,
  fill: 1,
  fillBonusCap: 0,
  overfill: 16,
  overfillAbove: 1.02,
};

export function diskScore(view: FleetView, i: number, sizeHintBytes: number, weights: ScoreWeights): number {
  const cap = view.capacityBytes[i] as number;
  const fill = cap > 0 ? ((view.usedBytes[i] as number) + (view.reservedBytes[i] as number) + sizeHintBytes) / cap : 1;
  const relFill = fill / view.fillReference;
  const floor = 1 - weights.fillBonusCap;
  return (
    weights.heat * view.relativeHeat(i) +
    weights.fill * (relFill > floor ? relFill : floor) +
    (relFill > weights.overfillAbove ? weights.overfill * (relFill - weights.overfillAbove) : 0)
  );
}
