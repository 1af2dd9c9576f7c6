import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3 } from 'etcd3';
import { readClusterConfig } from './cluster-config.js';
import type { ClusterConfig, Keyspace } from './keyspace.js';
import type { Logger } from '@platter/telemetry';

/** Pause between reads of a cluster config that is not there yet, ms. */
const POLL_MS = 500;

export class ClusterConfigMissingError extends Error {
  constructor(waitedMs: number) {
    super(
      `no cluster config in etcd after ${waitedMs} ms: run \`platter bootstrap\` (or start the cluster with \`npm start\`)`,
    );
    this.name = 'ClusterConfigMissingError';
  }
}

/**
 * The cluster config (cluster id, block size), waiting a bounded time for it
 * to be created: a service may start before the cluster is bootstrapped.
 * This runs once at startup, never in a request path.
 */
export async function waitForClusterConfig(
  etcd: Etcd3,
  keyspace: Keyspace,
  options: { timeoutMs: number; signal: AbortSignal; logger: Logger },
): Promise<ClusterConfig> {
  const started = performance.now();
  let logged = false;
  for (;;) {
    let config: ClusterConfig | undefined;
    try {
      config = await readClusterConfig(etcd, keyspace);
    } catch (err) {
      options.logger.warn({ err }, 'cannot read the cluster config yet');
    }
    if (config !== undefined) return config;
    const waited = performance.now() - started;
    if (waited >= options.timeoutMs || options.signal.aborted) throw new ClusterConfigMissingError(Math.round(waited));
    if (!logged) options.logger.info({ timeoutMs: options.timeoutMs }, 'waiting for the cluster config');
    logged = true;
    await sleep(POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
