// The namespace process: config → host (logger, metrics, etcd, gRPC, admin) →
// cluster config → replica host (one LMDB store per hosted partition, chain
// records watched) → services → serve (membership) → chain manager candidacy.
// Shutdown (SIGTERM) runs the same steps backwards.
import { namespaceV1 } from '@platter/proto';
import {
  ChainManager,
  MemberPeerDirectory,
  ReplicaHost,
  createNamespaceService,
  createReplicaService,
  namespaceConfigSchema,
  namespaceDataDir,
  registerNamespaceMetrics,
} from '@platter/namespace';
import { waitForClusterConfig } from '@platter/cluster';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'namespace', schema: namespaceConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'namespace', config, version: PLATTER_VERSION });
  const log = host.logger;

  const cluster = await waitForClusterConfig(host.etcd, host.keyspace, {
    timeoutMs: config.clusterConfigWaitMs,
    signal: host.signal,
    logger: log,
  });
  log.info({ step: 'cluster-config', partitions: cluster.partitions }, 'cluster config read');

  // The lag gauges read the replicas at scrape time; the commit hooks need the metrics first.
  const hosted: { replicas?: ReplicaHost } = {};
  const metrics = registerNamespaceMetrics(host.registry, () => hosted.replicas);
  // The member view opens in serve(); peers are only dialled once chains exist, after it.
  const peers = new MemberPeerDirectory({ get: (role, id) => host.memberView.get(role, id) }, host.registry);
  const dataDir = namespaceDataDir(config);
  const replicas = await ReplicaHost.open({
    etcd: host.etcd,
    keyspace: host.keyspace,
    memberId: config.id,
    dataDir,
    peers,
    mapSizeBytes: config.mapSizeBytes,
    writeIdRetentionMs: config.writeIdRetentionSeconds * 1000,
    logger: log.child({ component: 'replicas' }),
    onCommit: (n) => metrics.commit(n),
    onHop: (s, n) => metrics.hop(s, n),
  });
  hosted.replicas = replicas;
  replicas.attachMembership(host.membership);
  host.shutdown.onShutdown('close replicas', () => replicas.close());
  host.shutdown.onShutdown('close peer clients', () => peers.close());
  log.info({ step: 'replicas', dataDir, hosted: replicas.all().length }, 'replica host ready');

  host.rpc.add(
    namespaceV1.NamespaceService,
    createNamespaceService({
      replicas,
      partitionCount: cluster.partitions,
      logger: log.child({ component: 'namespace-service' }),
    }),
  );
  host.rpc.add(namespaceV1.NamespaceReplicaService, createReplicaService(replicas));
  log.info({ step: 'service' }, 'namespace services added');

  await host.serve();

  const manager = new ChainManager({
    etcd: host.etcd,
    keyspace: host.keyspace,
    memberId: config.id,
    members: host.memberView,
    peers,
    replicationFactor: config.replicationFactor,
    ttlSeconds: config.leaseTtlSeconds,
    bootstrapWaitMs: config.bootstrapWaitMs,
    logger: log.child({ component: 'chain-manager' }),
    onReconfigure: (kind) => metrics.reconfiguration(kind),
  });
  manager.start();
  host.shutdown.onShutdown('stop chain manager', () => manager.stop());
  log.info({ step: 'workers', replicationFactor: config.replicationFactor }, 'chain manager candidacy started');
});
