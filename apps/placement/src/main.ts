// The placement process: config → host (logger, metrics, etcd, gRPC, admin) →
// Redis → inventory watch, heat poller and service → serve → background work
// (heat polling, the rebalancer election and its leader's rounds). Shutdown
// (SIGTERM) runs the same steps backwards.
import { connectRedis } from '@platter/heat';
import { PlacementRuntime, placementConfigSchema } from '@platter/placement';
import { placementV1 } from '@platter/proto';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'placement', schema: placementConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'placement', config, version: PLATTER_VERSION });
  const log = host.logger;

  const redis = config.redisUrl === undefined ? undefined : connectRedis(config.redisUrl, { logger: log });
  if (redis !== undefined) host.shutdown.onShutdown('close redis', () => redis.disconnect());
  log.info(
    { step: 'redis', configured: redis !== undefined },
    redis === undefined ? 'no redisUrl: heat unknown, no move tasks' : 'redis client created',
  );

  const runtime = await PlacementRuntime.open({
    config,
    etcd: host.etcd,
    keyspace: host.keyspace,
    redis,
    registry: host.registry,
    logger: log.child({ component: 'placement' }),
  });
  host.shutdown.onShutdown('stop placement workers and resign', () => runtime.close());
  log.info({ step: 'inventory', disks: runtime.state.inventory().length }, 'inventory watch open');

  host.rpc.add(placementV1.PlacementService, runtime.service);
  log.info({ step: 'service' }, 'placement service added');

  await host.serve();

  await runtime.start(host.signal);
  log.info(
    {
      step: 'workers',
      heatPollIntervalMs: config.heatPollIntervalMs,
      rebalanceIntervalMs: config.rebalanceIntervalMs,
      autoActivateJoining: config.autoActivateJoining,
    },
    'heat poller and rebalancer election started',
  );
});
