import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the cluster is: ETCD_ENDPOINTS from the environment, else from the
 * .platter/cluster.env that `npm start` writes (searched upwards from the cwd).
 */
export function etcdEndpoints(): string[] {
  const fromEnv = process.env.ETCD_ENDPOINTS;
  if (fromEnv)
    return fromEnv
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const fromFile = clusterEnvFileValue('ETCD_ENDPOINTS');
  if (fromFile) return fromFile.split(',');
  throw new Error('no cluster found: set ETCD_ENDPOINTS or run `npm start` first');
}

/** One KEY=value line of the nearest .platter/cluster.env (searched upwards from the cwd), if any. */
function clusterEnvFileValue(name: string): string | undefined {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const file = path.join(dir, '.platter', 'cluster.env');
    if (fs.existsSync(file)) {
      const line = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}=`));
      return line?.slice(name.length + 1).trim() || undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Where the cluster's Redis is: REDIS_URL from the environment, else from
 * .platter/cluster.env; undefined when neither says (heat is then unknown).
 */
export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || clusterEnvFileValue('REDIS_URL');
}
