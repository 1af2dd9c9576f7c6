import { S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { LocalCluster } from '@platter/testkit';

/**
 * An SDK client for the local cluster, as a user would configure it: the
 * endpoint, the region, path-style addressing (no wildcard DNS on
 * loopback) and the cluster's root key unless told otherwise.
 */
export function clusterClient(cluster: LocalCluster, config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: cluster.endpoint,
    region: cluster.region,
    credentials: cluster.credentials,
    forcePathStyle: true,
    ...config,
  });
}

/** The S3 error code and HTTP status a call failed with; throws if it succeeded or failed otherwise. */
export async function errorOf(p: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) return { name: err.name, status: err.$metadata.httpStatusCode };
    throw err;
  }
  throw new Error('expected the call to fail');
}
