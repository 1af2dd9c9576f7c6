import { randomUUID } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { ClusterConfigCodec, type ClusterConfig, type Keyspace } from './keyspace.js';

// Defaults from the architecture brief: 5+4 survives any 4 disks or one of 3 zones.
export const DEFAULT_EC_K = 5;
export const DEFAULT_EC_M = 4;
// Names the coding matrix as well as the algorithm: shards from different codecs are not interchangeable.
export const DEFAULT_EC_CODEC = 'rs-cauchy-gf256';
// 1 MiB blocks: big enough for sequential HDD I/O, small enough for 5 MiB stripes.
export const DEFAULT_BLOCK_SIZE_BYTES = 1024 * 1024;
// Fixed at creation until partition splitting exists; 16 spreads chains over a small fleet.
export const DEFAULT_PARTITIONS = 16;

/** A complete proposal from defaults; quorum defaults to k+2 (capped at k+m). */
export function defaultClusterConfig(
  overrides: Partial<Omit<ClusterConfig, 'ec'>> & { ec?: Partial<ClusterConfig['ec']> } = {},
): ClusterConfig {
  const k = overrides.ec?.k ?? DEFAULT_EC_K;
  const m = overrides.ec?.m ?? DEFAULT_EC_M;
  return {
    clusterId: overrides.clusterId ?? randomUUID(),
    ec: { k, m, codec: overrides.ec?.codec ?? DEFAULT_EC_CODEC },
    blockSizeBytes: overrides.blockSizeBytes ?? DEFAULT_BLOCK_SIZE_BYTES,
    writeQuorum: overrides.writeQuorum ?? Math.min(k + 2, k + m),
    partitions: overrides.partitions ?? DEFAULT_PARTITIONS,
    createdAt: overrides.createdAt ?? new Date().toISOString(),
  };
}

/**
 * Creates the cluster config if none exists (one transaction, so concurrent
 * first starts agree) and returns what is stored, which differs from the
 * proposal when another process got there first. Never overwrites.
 */
export async function ensureClusterConfig(
  etcd: Etcd3,
  keyspace: Keyspace,
  proposed: ClusterConfig,
): Promise<ClusterConfig> {
  const key = keyspace.config();
  const value = ClusterConfigCodec.encode(proposed);
  const res = await etcd.if(key, 'Create', '==', 0).then(etcd.put(key).value(value)).else(etcd.get(key)).commit();
  if (res.succeeded) return ClusterConfigCodec.decode(value, key);
  const kv = res.responses[0]?.response_range?.kvs[0];
  if (kv === undefined) throw new Error(`${key} vanished between compare and read`);
  return ClusterConfigCodec.decode(kv.value, key);
}

export async function readClusterConfig(etcd: Etcd3, keyspace: Keyspace): Promise<ClusterConfig | undefined> {
  const key = keyspace.config();
  const raw = await etcd.get(key).buffer();
  return raw === null ? undefined : ClusterConfigCodec.decode(raw, key);
}
