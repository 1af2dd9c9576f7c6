import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DISK_STATES } from '../disk-snapshot.js';
import { fleetStats, overMean } from './fleet-stats.js';
import type { PlacementState } from './placement-state.js';

/** Allocation latency buckets, s: an allocation costs microseconds; anything near a millisecond is a regression. */
const ALLOCATION_SECONDS_BUCKETS = [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025];

export type AllocationResult = 'ok' | 'under_spread' | 'failed';

/**
 * The service's metrics. Counters are bound to their label values once, so a
 * call costs no label hashing; the imbalance and inventory gauges are
 * computed at scrape time from the state (O(disks) per scrape, not per call).
 */
export class PlacementMetrics {
  private readonly allocations: Record<AllocationResult, { inc(): void }>;
  private readonly failures: Counter<'reason'>;
  private readonly failureChildren = new Map<string, { inc(): void }>();
  private readonly latency: Histogram;
  private readonly moves: Counter;
  private readonly activations: Counter;
  // An object, so the gauge's collect() (where `this` is the gauge) can read it.
  private readonly leader = { value: false };

  constructor(registry: Registry, state: PlacementState) {
    const registers = [registry];
    const allocations = new Counter({
      name: 'platter_placement_allocations_total',
      help: 'AllocateStripe calls by result (ok, under_spread: a rule was relaxed, failed)',
      labelNames: ['result'],
      registers,
    });
    this.allocations = {
      ok: allocations.labels('ok'),
      under_spread: allocations.labels('under_spread'),
      failed: allocations.labels('failed'),
    };
    this.failures = new Counter({
      name: 'platter_placement_allocation_failures_total',
      help: 'Failed allocations by reason: the binding rule (MAX_M_PER_ZONE, ACTIVE_DISKS, ...), DISK_FULL, INVALID_ARGUMENT, UNAVAILABLE',
      labelNames: ['reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'platter_placement_allocation_duration_seconds',
      help: 'Time to choose the disks of one AllocateStripe call, in the handler (transport excluded)',
      buckets: ALLOCATION_SECONDS_BUCKETS,
      registers,
    });
    this.moves = new Counter({
      name: 'platter_placement_planned_moves_total',
      help: 'Move tasks the rebalancer leader published to the move stream',
      registers,
    });
    this.activations = new Counter({
      name: 'platter_placement_auto_activations_total',
      help: 'JOINING disks the leader activated on its own (autoActivateJoining)',
      registers,
    });
    const ratio = (name: string, help: string, pick: (s: ReturnType<typeof fleetStats>) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(fleetStats(state.view)));
        },
      });
    };
    ratio('platter_placement_fill_max_over_mean_ratio', 'Fullest ACTIVE disk fill ratio over the mean', (s) =>
      overMean(s.fill.max, s.fill.mean),
    );
    ratio('platter_placement_fill_p99_over_mean_ratio', '99th percentile of ACTIVE disk fill over the mean', (s) =>
      overMean(s.fill.p99, s.fill.mean),
    );
    ratio(
      'platter_placement_heat_max_over_mean_ratio',
      'Hottest ACTIVE disk heat over the mean (fresh samples only)',
      (s) => overMean(s.heat.max, s.heat.mean),
    );
    ratio(
      'platter_placement_heat_p99_over_mean_ratio',
      '99th percentile of ACTIVE disk heat over the mean (fresh samples only)',
      (s) => overMean(s.heat.p99, s.heat.mean),
    );
    new Gauge({
      name: 'platter_placement_disks',
      help: 'Disks in the inventory view by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<string, number>(DISK_STATES.map((s) => [s, 0]));
        for (const d of state.inventory()) counts.set(d.record.state, (counts.get(d.record.state) ?? 0) + 1);
        for (const [s, n] of counts) this.set({ state: s }, n);
      },
    });
    new Gauge({
      name: 'platter_placement_disks_without_heat',
      help: 'ACTIVE disks without a fresh heat sample (scored as hot, never as cold)',
      registers,
      collect() {
        this.set(state.view.unknownHeatDisks);
      },
    });
    const leader = this.leader;
    new Gauge({
      name: 'platter_placement_is_leader',
      help: '1 while this replica leads (runs the rebalancer), else 0',
      registers,
      collect() {
        this.set(leader.value ? 1 : 0);
      },
    });
  }

  allocated(result: AllocationResult, seconds: number): void {
    this.allocations[result].inc();
    this.latency.observe(seconds);
  }

  allocationFailed(reason: string, seconds: number): void {
    this.allocations.failed.inc();
    this.latency.observe(seconds);
    let child = this.failureChildren.get(reason);
    if (child === undefined) {
      child = this.failures.labels(reason);
      this.failureChildren.set(reason, child);
    }
    child.inc();
  }

  plannedMoves(n: number): void {
    if (n > 0) this.moves.inc(n);
  }

  autoActivated(n: number): void {
    if (n > 0) this.activations.inc(n);
  }

  setLeader(leader: boolean): void {
    this.leader.value = leader;
  }
}
