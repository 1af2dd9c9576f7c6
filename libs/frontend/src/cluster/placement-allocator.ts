import { commonV1, placementV1 } from '@platter/proto';
import type { RpcClient } from '@platter/rpc';
import type { ShardAllocator, StripeAllocation } from '../data/data-path-types.js';

// Stripe allocation through the placement service (which reads its watched
// views; no etcd or Redis on this path either).

const ALLOCATE_TIMEOUT_MS = 5_000;

export type PlacementClient = RpcClient<typeof placementV1.PlacementService>;

export class PlacementAllocator implements ShardAllocator {
  /** `client` picks a placement replica per call (any replica serves allocations). */
  constructor(private readonly client: () => PlacementClient) {}

  async allocate(k: number, m: number, shardBytes: number, signal?: AbortSignal): Promise<StripeAllocation> {
    const res = await this.client().allocateStripe(
      {
        dataShards: k,
        parityShards: m,
        sizeHintBytes: BigInt(shardBytes),
        ioClass: commonV1.IoClass.FOREGROUND,
      },
      { signal, timeoutMs: ALLOCATE_TIMEOUT_MS },
    );
    if (res.shards.length !== k + m)
      throw new Error(`placement returned ${res.shards.length} disks for a ${k}+${m} stripe`);
    return {
      allocationId: res.allocationId,
      underSpread: res.underSpread,
      targets: res.shards.map((s, i) => {
        if (s.shardIndex !== i || !s.disk) throw new Error(`placement returned a malformed shard ${i}`);
        return {
          shardIndex: i,
          diskId: s.disk.diskId,
          diskUuid: s.disk.diskUuid,
          address: s.disk.address,
          diskStateEpoch: s.diskStateEpoch,
        };
      }),
    };
  }
}
