import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ReplicaLookup } from './routing-checks.js';

// Chain hops on loopback take ~1–5 ms (a flush each); a slow disk or a
// reconfiguration pushes them into seconds.
const HOP_BUCKETS_SECONDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface NamespaceMetrics {
  commit(count: number): void;
  hop(seconds: number, entries: number): void;
  reconfiguration(kind: string): void;
}

/**
 * `platter_namespace_*`: commits made at heads, Forward round trips (one chain
 * hop, with the entries it carried), reconfigurations made by the chain
 * manager, and each replica's lag behind its successor — by partition, never
 * by bucket or key.
 */
export function registerNamespaceMetrics(
  registry: Registry,
  replicas: () => ReplicaLookup | undefined,
): NamespaceMetrics {
  const commits = new Counter({
    name: 'platter_namespace_commits_total',
    help: 'Client mutations journaled at a head replica of this process',
    registers: [registry],
  });
  const hops = new Histogram({
    name: 'platter_namespace_chain_hop_seconds',
    help: 'Forward round trips to the successor (apply + flush there), in seconds',
    buckets: HOP_BUCKETS_SECONDS,
    registers: [registry],
  });
  const forwarded = new Counter({
    name: 'platter_namespace_forwarded_entries_total',
    help: 'Journal entries forwarded to successors',
    registers: [registry],
  });
  const reconfigurations = new Counter({
    name: 'platter_namespace_reconfigurations_total',
    help: 'Chain records changed by the chain manager in this process, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  new Gauge({
    name: 'platter_namespace_replica_lag_entries',
    help: 'Journal entries this replica holds that its successor has not acknowledged, by partition',
    labelNames: ['partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of replicas()?.all() ?? []) this.set({ partition: String(r.partition) }, Number(r.successorLag));
    },
  });
  new Gauge({
    name: 'platter_namespace_committed_sequence',
    help: 'Highest sequence known durable at the tail, by partition',
    labelNames: ['partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of replicas()?.all() ?? []) this.set({ partition: String(r.partition) }, Number(r.committed));
    },
  });
  return {
    commit: (count) => commits.inc(count),
    hop: (seconds, entries) => {
      hops.observe(seconds);
      forwarded.inc(entries);
    },
    reconfiguration: (kind) => reconfigurations.inc({ kind }),
  };
}
