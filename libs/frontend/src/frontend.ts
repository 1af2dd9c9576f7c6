import { openCodec } from '@platter/erasure';
import type { ClusterConfig } from '@platter/cluster';
import { connectRedis } from '@platter/heat';
import type { ServiceHost } from '@platter/service-host';
import { Counter, Gauge, Histogram } from 'prom-client';
import { AccessKeys } from './cluster/access-keys.js';
import { PlacementAllocator } from './cluster/placement-allocator.js';
import { PlacementClients } from './cluster/placement-clients.js';
import { RedisRepairSink } from './cluster/redis-repair-sink.js';
import { HotDiskFeed } from './cluster/hot-disk-feed.js';
import { EtcdStorageDirectory } from './cluster/storage-directory.js';
import type { StripeCodec } from './data/data-path-types.js';
import { LatencyTracker } from './data/latency-tracker.js';
import type { ReadStats } from './data/part-reader.js';
import { ReadSteering } from './data/read-steering.js';
import { DigestPool } from './digest/digest-pool.js';
import { XmlParsePool } from './http/xml-parse-pool.js';
import { s3Routes } from './http/s3-routes.js';
import { bucketExists } from './s3/bucket-access.js';
import { S3Server } from './http/s3-server.js';
import type { FrontendConfig } from './config.js';
import type { NamespaceApi } from './s3/namespace-api.js';
import type { ObjectStoreDeps, RepairSink } from './s3/object-store-deps.js';

// Wires a frontend process: watched views (access keys, live disks,
// placement members), clients, the digest threads, and the S3 server, each
// with its shutdown step.

/** Until enough reads were seen, a shard read pending this long is hedged. */
const DEFAULT_HEDGE_MS = 200;
/** Never hedge sooner than this, however fast recent reads were. */
const HEDGE_FLOOR_MS = 5;
/** Read steering: half the distance to the line corrected per refresh, and a cooled disk's skips halved per refresh. */
const STEER_GAIN = 0.5;
const STEER_RELEASE = 0.5;

export async function startFrontend(opts: {
  host: ServiceHost;
  config: FrontendConfig;
  cluster: ClusterConfig;
  namespace: NamespaceApi;
}): Promise<{ s3Port: number }> {
  const { host, config, cluster } = opts;
  const log = host.logger;
  const accessKeys = await AccessKeys.open({ etcd: host.etcd, keyspace: host.keyspace, logger: log });
  host.shutdown.onShutdown('close access key watch', () => accessKeys.close());
  const storage = await EtcdStorageDirectory.open({
    etcd: host.etcd,
    keyspace: host.keyspace,
    logger: log,
    registry: host.registry,
  });
  host.shutdown.onShutdown('close storage clients', () => storage.close());
  const placement = new PlacementClients(host.memberView, host.registry);
  host.shutdown.onShutdown('close placement clients', () => placement.close());
  const digests = new DigestPool(config.digestWorkers);
  host.shutdown.onShutdown('stop digest threads', () => digests.close());
  const xml = new XmlParsePool();
  host.shutdown.onShutdown('stop the XML parser thread', () => xml.close());
  let repair: RepairSink = { missingShards: async () => log.warn('no redisUrl: missing shards wait for the auditor') };
  if (config.redisUrl !== undefined) {
    const redis = connectRedis(config.redisUrl, { logger: log });
    host.shutdown.onShutdown('close redis', () => redis.disconnect());
    repair = new RedisRepairSink(redis);
  }
  const readStats: ReadStats = { hedged: 0, decoded: 0, steered: 0 };
  exportCount(
    host,
    readStats,
    'hedged',
    'platter_frontend_hedged_stripes_total',
    'Stripe reads that raced the other shards (a data shard failed, failed its CRC or outlasted the recent p95)',
  );
  exportCount(host, readStats, 'decoded', 'platter_frontend_decoded_stripes_total', 'Stripe reads rebuilt from parity');
  exportCount(
    host,
    readStats,
    'steered',
    'platter_frontend_steered_stripes_total',
    'Whole-stripe reads that asked a parity shard instead of a data shard on a hot disk',
  );
  let steering: ReadSteering | undefined;
  if (config.readSteerAbove > 0) {
    const s = new ReadSteering({ above: config.readSteerAbove, gain: STEER_GAIN, release: STEER_RELEASE });
    const feed = new HotDiskFeed({
      placement: () => placement.pick(),
      steering: s,
      minHeat: config.readSteerMinHeat,
      intervalMs: config.heatRefreshMs,
      logger: log.child({ component: 'read-steering' }),
    });
    feed.start();
    host.shutdown.onShutdown('stop hot disk feed', () => feed.close());
    new Gauge({
      name: 'platter_frontend_steered_disks',
      help: 'Disks whole-stripe reads are being steered around (hotter than the steering line)',
      registers: [host.registry],
      collect() {
        this.set(s.steeredDisks);
      },
    });
    steering = s;
  }
  const codecs = new Map<string, StripeCodec>();
  const deps: ObjectStoreDeps = {
    namespace: opts.namespace,
    allocator: new PlacementAllocator(() => placement.pick()),
    storage,
    codecFor(codecId, k, m) {
      const id = `${codecId}/${k}/${m}`;
      let c = codecs.get(id);
      if (!c) codecs.set(id, (c = openCodec(codecId, k, m)));
      return c;
    },
    latency: new LatencyTracker(DEFAULT_HEDGE_MS, HEDGE_FLOOR_MS),
    steering,
    readStats,
    digests,
    xml,
    scheme: {
      k: cluster.ec.k,
      m: cluster.ec.m,
      blockSize: cluster.blockSizeBytes,
      codecId: cluster.ec.codec,
      writeQuorum: cluster.writeQuorum,
    },
    inlineThresholdBytes: config.inlineThresholdBytes,
    repair,
    region: config.region,
    locationConstraint: config.locationConstraint,
    minPartSizeBytes: config.minPartSizeBytes,
  };
  const requests = new Counter({
    name: 'platter_frontend_requests_total',
    help: 'S3 requests answered, by method and HTTP status',
    labelNames: ['method', 'status'],
    registers: [host.registry],
  });
  const seconds = new Histogram({
    name: 'platter_frontend_request_seconds',
    help: 'Time to answer an S3 request (to the last body byte), by method',
    labelNames: ['method'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [host.registry],
  });
  const server = new S3Server({
    region: config.region,
    baseDomains: config.baseDomains,
    accessKeys,
    route: s3Routes(deps),
    bucketExists: (bucket, signal) => bucketExists(deps, bucket, signal),
    logger: log.child({ component: 's3' }),
    onResponse: (method, status, s) => {
      requests.inc({ method, status: String(status) });
      seconds.observe({ method }, s);
    },
  });
  const s3Port = await server.listen(config.s3Host, config.s3Port);
  host.shutdown.onShutdown('stop S3 server', () => server.close(config.shutdownGraceMs));
  log.info({ step: 's3', host: config.s3Host, port: s3Port }, 'S3 endpoint listening');
  return { s3Port };
}

/** A counter that reports a running count the data path keeps (no metric call on the read path). */
function exportCount<K extends string>(
  host: ServiceHost,
  counts: Record<K, number>,
  key: K,
  name: string,
  help: string,
): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [host.registry],
    collect() {
      this.inc(counts[key] - reported);
      reported = counts[key];
    },
  });
}
