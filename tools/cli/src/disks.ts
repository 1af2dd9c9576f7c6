import {
  DiskLiveRecordCodec,
  DiskRecordCodec,
  Keyspace,
  connectEtcd,
  type DiskLiveRecord,
  type DiskRecord,
  type Etcd3,
} from '@platter/cluster';
import { HeatReader, connectRedis, redisReady, type HeatReading } from '@platter/heat';
import { commonV1 } from '@platter/proto';
import { createLogger } from '@platter/telemetry';
import { etcdEndpoints, redisUrl } from './cluster-env.js';
import { printColumns } from './print-columns.js';

// Redis that does not answer within this is reported as such; the inventory still prints.
const REDIS_TIMEOUT_MS = 2_000;

export interface DiskRow {
  diskId: string;
  nodeId: string;
  zone: string | null;
  rack: string | null;
  host: string | null;
  /** Inventory state (etcd), as placement and operators set it. */
  state: DiskRecord['state'];
  /** A storage node serves the disk now (its lease-bound live key exists). */
  live: boolean;
  address: string | null;
  capacityBytes: number;
  /** From the latest fresh heat sample; null when heat is unknown. */
  usedBytes: number | null;
  fillRatio: number | null;
  heat: HeatView;
}

export type HeatView =
  | {
      status: 'fresh';
      ageSeconds: number;
      nodeState: string;
      queueDepth: number;
      readOpsPerSecond: number;
      writeOpsPerSecond: number;
      readBytesPerSecond: number;
      writeBytesPerSecond: number;
      latencyP50Seconds: number;
      latencyP99Seconds: number;
      liveBytes: number;
      deadBytes: number;
    }
  | { status: 'unknown'; reason: string };

async function readPrefix<T>(
  etcd: Etcd3,
  prefix: string,
  decode: (raw: Buffer, key: string) => T,
  problems: string[],
): Promise<T[]> {
  const res = await etcd.getAll().prefix(prefix).exec();
  const out: T[] = [];
  for (const kv of res.kvs) {
    try {
      out.push(decode(kv.value, kv.key.toString()));
    } catch (err) {
      problems.push(`${kv.key.toString()}: ${(err as Error).message}`);
    }
  }
  return out;
}

async function readHeat(diskIds: string[]): Promise<Map<string, HeatReading> | string> {
  const url = redisUrl();
  if (url === undefined) return 'no Redis configured (set REDIS_URL)';
  const redis = connectRedis(url, { logger: createLogger({ service: 'cli', level: 'silent' }) });
  try {
    if (!(await redisReady(redis, REDIS_TIMEOUT_MS))) return `Redis at ${url} did not answer`;
    return await new HeatReader({ redis }).read(diskIds);
  } finally {
    redis.disconnect();
  }
}

function heatView(reading: HeatReading | undefined, fallback: string): HeatView {
  if (reading === undefined) return { status: 'unknown', reason: fallback };
  if (reading.status === 'unknown') return { status: 'unknown', reason: reading.reason };
  const h = reading.heat;
  return {
    status: 'fresh',
    ageSeconds: Math.round(reading.ageSeconds * 10) / 10,
    nodeState: commonV1.DiskState[h.state] ?? String(h.state),
    queueDepth: h.queueDepth,
    readOpsPerSecond: h.readOpsPerSecond,
    writeOpsPerSecond: h.writeOpsPerSecond,
    readBytesPerSecond: h.readBytesPerSecond,
    writeBytesPerSecond: h.writeBytesPerSecond,
    latencyP50Seconds: h.latencyP50Seconds,
    latencyP99Seconds: h.latencyP99Seconds,
    liveBytes: Number(h.usage?.liveBytes ?? 0n),
    deadBytes: Number(h.usage?.deadBytes ?? 0n),
  };
}

/** Every disk of the inventory with its liveness and heat, sorted by id. */
export async function listDisks(): Promise<{ disks: DiskRow[]; problems: string[] }> {
  const problems: string[] = [];
  const keyspace = new Keyspace(process.env.PLATTER_ETCD_PREFIX);
  const etcd = connectEtcd(etcdEndpoints());
  let records: DiskRecord[];
  let lives: DiskLiveRecord[];
  try {
    [records, lives] = await Promise.all([
      readPrefix(etcd, keyspace.disksPrefix(), (raw, key) => DiskRecordCodec.decode(raw, key), problems),
      readPrefix(etcd, keyspace.disksLivePrefix(), (raw, key) => DiskLiveRecordCodec.decode(raw, key), problems),
    ]);
  } finally {
    etcd.close();
  }
  const live = new Map(lives.map((l) => [l.diskId, l]));
  const ids = records.map((r) => r.diskId).sort();
  const heat = ids.length === 0 ? new Map<string, HeatReading>() : await readHeat(ids);
  if (typeof heat === 'string') problems.push(heat);
  const byId = new Map(records.map((r) => [r.diskId, r]));
  const disks = ids.map((id): DiskRow => {
    const r = byId.get(id)!;
    const view = heatView(
      typeof heat === 'string' ? undefined : heat.get(id),
      typeof heat === 'string' ? 'unavailable' : 'missing',
    );
    const reading = typeof heat === 'string' ? undefined : heat.get(id);
    const usage = reading?.status === 'fresh' ? reading.heat.usage : undefined;
    const capacity = usage !== undefined && usage.capacityBytes > 0n ? Number(usage.capacityBytes) : r.capacityBytes;
    const used = usage === undefined ? null : Number(usage.usedBytes);
    return {
      diskId: id,
      nodeId: r.nodeId,
      zone: r.labels.zone ?? null,
      rack: r.labels.rack ?? null,
      host: r.labels.host ?? null,
      state: r.state,
      live: live.has(id),
      address: live.get(id)?.grpcAddress ?? null,
      capacityBytes: capacity,
      usedBytes: used,
      fillRatio: used === null || capacity === 0 ? null : used / capacity,
      heat: view,
    };
  });
  return { disks, problems };
}

const GB = 1e9;
const MB = 1e6;

function heatText(h: HeatView): string {
  if (h.status === 'unknown') return `unknown (${h.reason})`;
  const ms = (s: number): string => `${(s * 1000).toFixed(1)}ms`;
  return `qd ${h.queueDepth}  r ${h.readOpsPerSecond.toFixed(0)}/s ${(h.readBytesPerSecond / MB).toFixed(1)}MB/s  w ${h.writeOpsPerSecond.toFixed(0)}/s ${(h.writeBytesPerSecond / MB).toFixed(1)}MB/s  p99 ${ms(h.latencyP99Seconds)}`;
}

function printTable(rows: DiskRow[]): void {
  if (rows.length === 0) {
    console.log('no disks in the inventory');
    return;
  }
  const table = rows.map((r) => [
    r.diskId,
    r.nodeId,
    [r.zone, r.rack, r.host].map((x) => x ?? '-').join('/'),
    r.state,
    r.live ? 'live' : 'DOWN',
    r.fillRatio === null
      ? `? of ${(r.capacityBytes / GB).toFixed(1)}GB`
      : `${(r.fillRatio * 100).toFixed(1)}% of ${(r.capacityBytes / GB).toFixed(1)}GB`,
    heatText(r.heat),
  ]);
  const header = ['DISK', 'NODE', 'ZONE/RACK/HOST', 'STATE', 'LIVE', 'FILL', 'HEAT'];
  printColumns(header, table);
}

/** `platter disks [--json]`: exit 0 when listed (even if some disks are down: the table says so). */
export async function runDisks(args: string[]): Promise<number> {
  const { disks, problems } = await listDisks();
  if (args.includes('--json')) console.log(JSON.stringify({ disks, problems }, null, 2));
  else {
    printTable(disks);
    for (const p of problems) console.error(`note: ${p}`);
  }
  return 0;
}
