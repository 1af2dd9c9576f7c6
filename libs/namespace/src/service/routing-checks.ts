import type { namespaceV1 } from '@platter/proto';
import type { ChainReplica } from '../chain/chain-replica.js';
import { NamespaceError } from '../errors.js';
import { partitionOfKey } from '@platter/namespace-client';

/** What the services need from the replica host. */
export interface ReplicaLookup {
  replica(partition: number): ChainReplica | undefined;
  all(): ChainReplica[];
}

/** The replica a call names, or WRONG_PARTITION when this process does not host it. */
export function routedReplica(
  lookup: ReplicaLookup,
  route: namespaceV1.PartitionRoute | undefined,
): ChainReplica | NamespaceError {
  const partition = route?.partitionId ?? 0;
  const replica = lookup.replica(partition);
  if (replica === undefined) {
    return new NamespaceError('WRONG_PARTITION', `partition ${partition} is not hosted here`, {
      resource: `partition/${partition}`,
    });
  }
  return replica;
}

/** An object key must live in the partition the call was routed to. */
export function checkKeyPartition(
  route: namespaceV1.PartitionRoute | undefined,
  bucket: string,
  key: string,
  partitionCount: number,
): NamespaceError | undefined {
  const partition = route?.partitionId ?? 0;
  const owner = partitionOfKey(bucket, key, partitionCount);
  if (owner === partition) return undefined;
  return new NamespaceError('WRONG_PARTITION', `key belongs to partition ${owner}, not ${partition}`, {
    resource: `partition/${owner}`,
  });
}
