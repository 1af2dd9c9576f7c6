import {
  ClusterConfigSchema,
  Keyspace,
  bootstrapRootAccessKey,
  connectEtcd,
  defaultClusterConfig,
  ensureClusterConfig,
} from '@platter/cluster';
import { etcdEndpoints } from './cluster-env.js';

/**
 * `platter bootstrap`: creates the cluster configuration and the root access
 * key in etcd if they are absent, and leaves them alone if they exist, so that
 * it can run on every install or upgrade (the Helm chart's pre-install hook).
 *
 * Settings come from the environment: PLATTER_ETCD_ENDPOINTS (or
 * ETCD_ENDPOINTS), PLATTER_ETCD_PREFIX, PLATTER_CLUSTER (JSON: ec, blockSizeBytes,
 * writeQuorum, partitions), PLATTER_ROOT_ACCESS_KEY_ID, PLATTER_ROOT_SECRET_ACCESS_KEY.
 */
export async function runBootstrap(): Promise<number> {
  const keyId = process.env.PLATTER_ROOT_ACCESS_KEY_ID;
  const secret = process.env.PLATTER_ROOT_SECRET_ACCESS_KEY;
  if (!keyId || !secret) throw new Error('PLATTER_ROOT_ACCESS_KEY_ID and PLATTER_ROOT_SECRET_ACCESS_KEY are required');
  const overrides = process.env.PLATTER_CLUSTER ? (JSON.parse(process.env.PLATTER_CLUSTER) as object) : {};
  const proposed = ClusterConfigSchema.parse(defaultClusterConfig(overrides));
  const endpoints = process.env.PLATTER_ETCD_ENDPOINTS?.split(',') ?? etcdEndpoints();
  const etcd = connectEtcd(endpoints);
  try {
    const keyspace = new Keyspace(process.env.PLATTER_ETCD_PREFIX);
    const stored = await ensureClusterConfig(etcd, keyspace, proposed);
    await bootstrapRootAccessKey(etcd, keyspace, { accessKeyId: keyId, secretAccessKey: secret, account: 'root' });
    const same = stored.clusterId === proposed.clusterId;
    console.log(
      `cluster ${stored.clusterId} ${same ? 'created' : 'already exists'}: ${stored.ec.k}+${stored.ec.m} ${stored.ec.codec}, ` +
        `${stored.blockSizeBytes} B blocks, write quorum ${stored.writeQuorum}, ${stored.partitions} partitions; root key ${keyId} present`,
    );
  } finally {
    etcd.close();
  }
  return 0;
}
