// The storage process: config → host (logger, metrics, etcd, gRPC, admin) →
// cluster config → disks → inventory → service → heat and compaction workers
// → serve. Shutdown (SIGTERM) runs the same steps backwards.
import { connectRedis, HeatKeyspace, HeatPublisher } from '@platter/heat';
import { storageV1 } from '@platter/proto';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';
import {
  CompactionLoop,
  createStorageService,
  DiskFaults,
  DiskInventory,
  DiskSet,
  HeatLoop,
  HeatSampler,
  listenForFaultToggle,
  registerStorageMetrics,
  storageConfigSchema,
} from '@platter/storage';
import { waitForClusterConfig } from '@platter/cluster';

await runApp({ role: 'storage', schema: storageConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'storage', config, version: PLATTER_VERSION });
  const log = host.logger;
  const labels = { zone: config.zone, rack: config.rack, host: config.host };

  const cluster = await waitForClusterConfig(host.etcd, host.keyspace, {
    timeoutMs: config.clusterConfigWaitMs,
    signal: host.signal,
    logger: log,
  });
  log.info(
    { step: 'cluster-config', clusterId: cluster.clusterId, blockSizeBytes: cluster.blockSizeBytes },
    'cluster config read',
  );

  const faults = new DiskFaults(
    config.diskFaults,
    config.disks.map((d) => d.id),
    config.diskFaultSeed,
  );
  if (faults.configured) {
    // Loud on purpose: a node with injected faults must never pass unnoticed.
    log.warn(
      { step: 'faults', rules: faults.summary(), seed: config.diskFaultSeed },
      'INJECTED DISK FAULTS ARE ON (diskFaults): for tests only; SIGUSR2 switches them off and on',
    );
  }
  host.shutdown.onShutdown('stop fault toggle', listenForFaultToggle(faults, log));

  const disks = await DiskSet.open(config.disks, {
    clusterId: cluster.clusterId,
    blockSizeBytes: cluster.blockSizeBytes,
    hddModel: config.hddModel,
    faults,
    logger: log.child({ component: 'disks' }),
  });
  host.shutdown.onShutdown('close disks', () => disks.close());
  log.info(
    { step: 'disks', disks: disks.all().map((d) => ({ id: d.id, uuid: d.diskUuid, failed: d.failed })) },
    'disks opened',
  );

  const inventory = await DiskInventory.open({
    etcd: host.etcd,
    keyspace: host.keyspace,
    disks,
    nodeId: config.id,
    labels,
    logger: log.child({ component: 'inventory' }),
  });
  host.shutdown.onShutdown('close inventory watches', () => inventory.close());
  inventory.attachLiveRecords(host.membership, () => host.grpcAddress);
  log.info({ step: 'inventory' }, 'disk inventory ready');

  host.rpc.add(
    storageV1.StorageService,
    createStorageService({
      disks,
      states: inventory,
      node: { nodeId: config.id, address: () => host.grpcAddress, failureDomain: labels },
      blockSizeBytes: cluster.blockSizeBytes,
      logger: log.child({ component: 'storage-service' }),
    }),
  );
  log.info({ step: 'service' }, 'storage service added');

  let heat: HeatLoop | undefined;
  if (config.redisUrl !== undefined) {
    const redis = connectRedis(config.redisUrl, { logger: log });
    host.shutdown.onShutdown('close redis', () => redis.disconnect());
    const publisher = new HeatPublisher({
      redis,
      keyspace: new HeatKeyspace(config.heatKeyPrefix),
      ttlMs: config.heatTtlMs,
    });
    heat = new HeatLoop({
      disks,
      sampler: new HeatSampler(inventory),
      publisher,
      intervalMs: config.heatIntervalMs,
      logger: log.child({ component: 'heat' }),
    });
    log.info({ step: 'redis', intervalMs: config.heatIntervalMs, ttlMs: config.heatTtlMs }, 'heat publisher ready');
  } else {
    log.warn({ step: 'redis' }, 'no redisUrl: heat is not published');
  }
  const compaction = new CompactionLoop({
    disks,
    intervalMs: config.compactionIntervalMs,
    logger: log.child({ component: 'compaction' }),
  });
  registerStorageMetrics(host.registry, { disks, heat: heat?.stats, compaction: compaction.stats, faults });

  await host.serve();

  const workers = [heat?.run(host.signal), config.compactionIntervalMs > 0 ? compaction.run(host.signal) : undefined];
  host.shutdown.onShutdown('stop background workers', async () => {
    await Promise.all(workers);
  });
  log.info(
    { step: 'workers', heat: heat !== undefined, compactionIntervalMs: config.compactionIntervalMs },
    'background workers started',
  );
});
