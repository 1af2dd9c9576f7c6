import type { Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, type OpName, type StoreStats } from '@platter/shardstore';
import type { CompactionLoop } from './compaction-loop.js';
import type { DiskFaults } from './disk-faults.js';
import type { DiskSet } from './disk-set.js';
import { diskSpace, type DiskSpace } from './disk-usage.js';
import type { HeatLoopStats } from './heat-loop.js';
import type { HostedDisk } from './hosted-disk.js';
import { histogramValues, SnapshotMetric, type MetricKind, type MetricValues } from './snapshot-metric.js';

/** One scrape reads every disk's stats once, shared by all metrics for this long, ms. */
const SNAPSHOT_MAX_AGE_MS = 250;
/** Engine operations exported with their latency histograms. */
const TIMED_OPS: readonly OpName[] = ['put', 'get', 'delete', 'stat', 'list', 'verify', 'compact'];

interface DiskSnapshot {
  disk: HostedDisk;
  stats: StoreStats | undefined;
  space: DiskSpace;
}

export interface StorageMetricsSources {
  disks: DiskSet;
  heat?: HeatLoopStats;
  compaction?: CompactionLoop['stats'];
  /** Injected faults (tests only): exported always, so a faulted node shows on every dashboard. */
  faults?: DiskFaults;
}

/**
 * Per-disk metrics of the node (`platter_storage_*`) and of its engines
 * (`platter_shardstore_*`), labelled by disk id — never by shard id. Values
 * are read from the engine's own counters at scrape time, so the data path
 * pays nothing for them.
 */
export function registerStorageMetrics(registry: Registry, sources: StorageMetricsSources): void {
  let cached: { at: number; snapshot: Promise<DiskSnapshot[]> } | undefined;
  const snapshot = (): Promise<DiskSnapshot[]> => {
    const now = performance.now();
    if (cached === undefined || now - cached.at > SNAPSHOT_MAX_AGE_MS) {
      cached = {
        at: now,
        snapshot: Promise.all(
          sources.disks.all().map(async (disk) => {
            const stats = disk.store === undefined ? undefined : await disk.store.stats().catch(() => undefined);
            return { disk, stats, space: await diskSpace(disk, stats) };
          }),
        ),
      };
    }
    return cached.snapshot;
  };
  const perDisk = (
    name: string,
    help: string,
    type: MetricKind,
    values: (s: DiskSnapshot, labels: { disk: string }) => MetricValues,
  ): void => {
    new SnapshotMetric(name, help, type, async () =>
      (await snapshot()).flatMap((s) => values(s, { disk: s.disk.id })),
    ).register(registry);
  };
  const one = (value: number | undefined, labels: Record<string, string>): MetricValues =>
    value === undefined || Number.isNaN(value) ? [] : [{ value, labels }];

  // --- engine ---------------------------------------------------------------
  perDisk('platter_shardstore_operations_total', 'Engine operations by kind and result', 'counter', ({ stats }, l) =>
    TIMED_OPS.flatMap((op) => {
      const o = stats?.ops[op];
      return o === undefined
        ? []
        : [...one(o.count - o.errors, { ...l, op, result: 'ok' }), ...one(o.errors, { ...l, op, result: 'error' })];
    }),
  );
  perDisk(
    'platter_shardstore_bytes_total',
    'Shard bytes written (put) and read (get) by the engine',
    'counter',
    ({ stats }, l) => [
      ...one(stats?.ops.put?.bytes, { ...l, op: 'put' }),
      ...one(stats?.ops.get?.bytes, { ...l, op: 'get' }),
    ],
  );
  perDisk(
    'platter_shardstore_operation_seconds',
    'Engine operation latency, queueing included',
    'histogram',
    ({ stats }, l) =>
      TIMED_OPS.flatMap((op) => {
        const o = stats?.ops[op];
        return o === undefined
          ? []
          : histogramValues(
              'platter_shardstore_operation_seconds',
              { ...l, op },
              { sum: o.latencySeconds.sum, count: o.count, buckets: o.latencySeconds.buckets },
            );
      }),
  );
  for (const [op, name, help] of [
    ['fsync', 'platter_shardstore_fsync_seconds', 'Extent fdatasync latency per group-commit batch'],
    [
      'durableWrite',
      'platter_shardstore_durable_write_seconds',
      'Latency of durable (O_DSYNC) writes of coalesced record starts: for small records, the flush',
    ],
    ['indexCommit', 'platter_shardstore_index_commit_seconds', 'Durable LMDB index commit latency per batch'],
  ] as const) {
    perDisk(name, help, 'histogram', ({ stats }, l) => {
      const o = stats?.ops[op];
      const empty = { sum: 0, count: 0, buckets: LATENCY_BUCKETS_SECONDS.map((le) => ({ le, count: 0 })) };
      return histogramValues(
        name,
        l,
        o === undefined ? empty : { sum: o.latencySeconds.sum, count: o.count, buckets: o.latencySeconds.buckets },
      );
    });
  }
  perDisk('platter_shardstore_live_bytes', 'Bytes of live shard data in extents', 'gauge', ({ stats }, l) =>
    one(stats?.bytes.live, l),
  );
  perDisk(
    'platter_shardstore_dead_bytes',
    'Bytes of deleted or superseded data compaction can reclaim',
    'gauge',
    ({ stats }, l) => one(stats?.bytes.dead, l),
  );
  perDisk(
    'platter_shardstore_free_bytes',
    "Free bytes on the disk's filesystem as the engine sees it",
    'gauge',
    ({ stats }, l) => one(stats?.bytes.free, l),
  );
  perDisk('platter_shardstore_extents', 'Extent files on the disk', 'gauge', ({ stats }, l) =>
    one(stats?.extentCount, l),
  );
  perDisk('platter_shardstore_live_shards', 'Live shards in the index', 'gauge', ({ stats }, l) =>
    one(stats?.liveShards, l),
  );
  perDisk(
    'platter_shardstore_group_commit_batches_total',
    'Group-commit batches (one fsync round each)',
    'counter',
    ({ stats }, l) => one(stats?.groupCommit.batches, l),
  );
  perDisk(
    'platter_shardstore_group_commit_requests_total',
    'Writes committed through group commit',
    'counter',
    ({ stats }, l) => one(stats?.groupCommit.requests, l),
  );
  perDisk(
    'platter_shardstore_compaction_reclaimed_bytes_total',
    'Bytes given back by compaction',
    'counter',
    ({ stats }, l) => one(stats?.compaction.bytesReclaimed, l),
  );
  perDisk(
    'platter_shardstore_failed',
    '1 when the disk is out of service (failed write path or could not open)',
    'gauge',
    ({ disk }, l) => one(disk.failed ? 1 : 0, l),
  );

  // --- node -----------------------------------------------------------------
  perDisk(
    'platter_storage_queue_depth',
    'Operations in service on the disk (the modelled device queue when the HDD model is on)',
    'gauge',
    ({ disk, stats }, l) => one(Math.max(disk.inflight, stats?.hdd?.queueDepth ?? 0), l),
  );
  perDisk(
    'platter_storage_corruptions_total',
    'Reads and verifications that found stored bytes failing their CRC',
    'counter',
    ({ disk }, l) => one(disk.corruptions, l),
  );
  perDisk(
    'platter_storage_rpc_bytes_total',
    'Shard bytes received from writers and sent to readers over gRPC',
    'counter',
    ({ disk }, l) => [
      ...one(disk.rpcBytes.received, { ...l, direction: 'received' }),
      ...one(disk.rpcBytes.sent, { ...l, direction: 'sent' }),
    ],
  );
  perDisk('platter_storage_disk_capacity_bytes', "Size of the disk's filesystem (statfs)", 'gauge', ({ space }, l) =>
    one(Number(space.capacityBytes), l),
  );
  perDisk('platter_storage_disk_used_bytes', "Used bytes of the disk's filesystem (statfs)", 'gauge', ({ space }, l) =>
    one(Number(space.usedBytes), l),
  );

  const faults = sources.faults;
  // Exported even at 0 everywhere, so "which nodes run with faults" is one query: sum > 0.
  perDisk(
    'platter_storage_fault_rules',
    'Injected-fault rules switched on for the disk (tests only; must be 0 in production)',
    'gauge',
    ({ disk }, l) => one(faults?.ruleCount(disk.id) ?? 0, l),
  );
  perDisk(
    'platter_storage_fault_injections_total',
    'I/O operations on the disk that an injected-fault rule delayed, failed or corrupted',
    'counter',
    ({ disk }, l) => one(faults?.injections(disk.id) ?? 0, l),
  );

  const heat = sources.heat;
  if (heat !== undefined) {
    new SnapshotMetric(
      'platter_storage_heat_publications_total',
      'Heat publications to Redis by result',
      'counter',
      async () => [
        { value: heat.published, labels: { result: 'ok' } },
        { value: heat.failed, labels: { result: 'error' } },
      ],
    ).register(registry);
  }
  const compaction = sources.compaction;
  if (compaction !== undefined) {
    new SnapshotMetric(
      'platter_storage_compaction_passes_total',
      'Background compaction passes over the disks',
      'counter',
      async () => [{ value: compaction.passes, labels: {} }],
    ).register(registry);
  }
}
