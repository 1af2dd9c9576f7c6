import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { commonV1 } from '@platter/proto';
import type { OpSnapshot, StoreStats } from '@platter/shardstore';
import type { DiskStateView } from './disk-state-view.js';
import { diskSpace } from './disk-usage.js';
import type { HostedDisk } from './hosted-disk.js';
import { quantileBetween, sumBuckets, type CumulativeBucket } from './latency-quantile.js';

interface Totals {
  atMs: number;
  readOps: number;
  writeOps: number;
  readBytes: number;
  writeBytes: number;
  latencyCount: number;
  latency: CumulativeBucket[];
}

const count = (o: OpSnapshot | undefined): number => o?.count ?? 0;
const bytes = (o: OpSnapshot | undefined): number => o?.bytes ?? 0;

function totalsOf(stats: StoreStats | undefined, atMs: number): Totals {
  const ops = stats?.ops ?? {};
  // Client-visible service time: reads and writes of shard data.
  const timed = [ops.get, ops.put];
  return {
    atMs,
    readOps: count(ops.get) + count(ops.verify),
    writeOps: count(ops.put) + count(ops.delete),
    readBytes: bytes(ops.get),
    writeBytes: bytes(ops.put),
    latencyCount: timed.reduce((n, o) => n + count(o), 0),
    latency: sumBuckets(timed.map((o) => o?.latencySeconds.buckets)),
  };
}

/**
 * Turns each disk's cumulative engine counters into a DiskHeat sample over the
 * interval since the previous one: rates, p50/p99 service latency of shard
 * reads and writes, queue depth, space, state. Queue depth is the modelled
 * device queue when the HDD model is on, else the operations this node has in
 * service on the disk. A failed disk reports FAILED whatever the inventory
 * says, so placement stops choosing it before the inventory catches up.
 */
export class HeatSampler {
  private readonly previous = new Map<string, Totals>();

  constructor(
    private readonly states: DiskStateView,
    private readonly clock: { monotonicMs: () => number; wallMs: () => number } = {
      monotonicMs: () => performance.now(),
      wallMs: Date.now,
    },
  ) {}

  async sample(disk: HostedDisk): Promise<commonV1.DiskHeat> {
    let stats: StoreStats | undefined;
    try {
      stats = disk.store === undefined ? undefined : await disk.store.stats();
    } catch {
      stats = undefined;
    }
    const now = totalsOf(stats, this.clock.monotonicMs());
    const before = this.previous.get(disk.id);
    this.previous.set(disk.id, now);
    const seconds = before === undefined ? 0 : (now.atMs - before.atMs) / 1000;
    const rate = (a: number, b: number | undefined): number =>
      seconds > 0 && b !== undefined ? Math.max(0, a - b) / seconds : 0;
    const latencyCount = now.latencyCount - (before?.latencyCount ?? 0);
    const space = await diskSpace(disk, stats);
    return create(commonV1.DiskHeatSchema, {
      diskId: disk.id,
      sampledAt: timestampFromMs(this.clock.wallMs()),
      queueDepth: Math.max(disk.inflight, stats?.hdd?.queueDepth ?? 0),
      readOpsPerSecond: rate(now.readOps, before?.readOps),
      writeOpsPerSecond: rate(now.writeOps, before?.writeOps),
      readBytesPerSecond: rate(now.readBytes, before?.readBytes),
      writeBytesPerSecond: rate(now.writeBytes, before?.writeBytes),
      latencyP50Seconds:
        before === undefined ? 0 : (quantileBetween(before.latency, now.latency, latencyCount, 0.5) ?? 0),
      latencyP99Seconds:
        before === undefined ? 0 : (quantileBetween(before.latency, now.latency, latencyCount, 0.99) ?? 0),
      usage: space,
      state: disk.failed ? commonV1.DiskState.FAILED : this.states.stateOf(disk.id).state,
    });
  }
}
