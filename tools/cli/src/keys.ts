import { Keyspace, connectEtcd, createAccessKey } from '@platter/cluster';
import { etcdEndpoints } from './cluster-env.js';

/**
 * `platter keys create --account <id> [--json]`: a new access key for an
 * account (created with its first key; buckets belong to accounts). The
 * secret is printed once and kept only in etcd.
 */
export async function runKeys(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const i = rest.indexOf('--account');
  const account = i >= 0 ? rest[i + 1] : undefined;
  if (verb !== 'create' || !account) {
    console.error('usage: platter keys create --account <id> [--json]');
    return 2;
  }
  const etcd = connectEtcd(process.env.PLATTER_ETCD_ENDPOINTS?.split(',') ?? etcdEndpoints());
  try {
    const key = await createAccessKey(etcd, new Keyspace(process.env.PLATTER_ETCD_PREFIX), account);
    if (rest.includes('--json'))
      console.log(JSON.stringify({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, account }));
    else
      console.log(
        `AWS_ACCESS_KEY_ID=${key.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${key.secretAccessKey}\n# account ${account}`,
      );
  } finally {
    etcd.close();
  }
  return 0;
}
