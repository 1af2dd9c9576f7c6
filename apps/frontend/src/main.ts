// The frontend process: config → host → cluster config → namespace router →
// S3 server (after the host serves, so that its member view is open).
// Shutdown (SIGTERM) runs the same steps backwards.
import { waitForClusterConfig } from '@platter/cluster';
import { frontendConfigSchema, startFrontend } from '@platter/frontend';
import { NamespaceRouter } from '@platter/namespace-client';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'frontend', schema: frontendConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'frontend', config, version: PLATTER_VERSION });
  const log = host.logger;
  const cluster = await waitForClusterConfig(host.etcd, host.keyspace, {
    timeoutMs: config.clusterConfigWaitMs,
    signal: host.signal,
    logger: log,
  });
  const namespace = await NamespaceRouter.open({
    etcd: host.etcd,
    keyspace: host.keyspace,
    logger: log.child({ component: 'namespace-router' }),
    partitionCount: cluster.partitions,
    registry: host.registry,
    // Our own lease says whether etcd answers: without it, waiting out a refusal is useless.
    etcdReachable: () => host.membership.registered,
  });
  host.shutdown.onShutdown('close namespace router', () => namespace.close());
  await host.serve();
  await startFrontend({ host, config, cluster, namespace });
});
