import type { storageV1 } from '@platter/proto';
import type { RpcClient } from '@platter/rpc';

// What the data path needs from the rest of the cluster, as narrow interfaces
// so that each piece is tested alone and the frontend wires real clients in.

/** One shard's destination, as placement chose it. */
export interface ShardTarget {
  readonly shardIndex: number;
  readonly diskId: string;
  readonly diskUuid: string;
  /** The storage node's gRPC address. */
  readonly address: string;
  readonly diskStateEpoch: bigint;
}

export interface StripeAllocation {
  readonly allocationId: string;
  /** One target per shard index 0..k+m-1, in index order. */
  readonly targets: readonly ShardTarget[];
  readonly underSpread: boolean;
}

export interface ShardAllocator {
  allocate(k: number, m: number, shardBytes: number, signal?: AbortSignal): Promise<StripeAllocation>;
}

export type StorageClient = RpcClient<typeof storageV1.StorageService>;

/** Storage clients by node address, and node addresses by disk id. */
export interface StorageDirectory {
  client(address: string): StorageClient;
  /** The address of the node serving `diskId` now, or undefined when the disk is not live. */
  addressOf(diskId: string): string | undefined;
}

/** The Reed-Solomon code of one scheme; encodes and rebuilds in place. */
export type { StripeCodec } from '@platter/erasure';
