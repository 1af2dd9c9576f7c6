import { randomBytes } from 'node:crypto';
import { commonV1, type storageV1 } from '@platter/proto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { BlockChannel } from './block-channel.js';
import type { ShardTarget, StorageClient } from './data-path-types.js';

// One shard of a part on its way to its disk: a PutShard client stream fed
// block by block through a bounded channel.

/** Blocks queued per shard: one being sent, one ready. */
const QUEUE_BLOCKS = 2;

type PutShardRequestInit = MessageInitShape<typeof storageV1.PutShardRequestSchema>;

/** A fresh shard id: 128 random bits, so an id never names two byte strings. */
export function newShardId(): string {
  return randomBytes(16).toString('hex');
}

export interface ShardSinkOptions {
  target: ShardTarget;
  client: StorageClient;
  shardLength: number;
  blockSize: number;
  allocationId: string;
  signal: AbortSignal;
  timeoutMs: number;
}

export class ShardSink {
  readonly shardId = newShardId();
  private readonly channel = new BlockChannel<Uint8Array>(QUEUE_BLOCKS);
  /** Settles when the node has the shard durably, or the call failed. */
  readonly done: Promise<storageV1.PutShardResponse>;
  private failure?: unknown;

  constructor(readonly opts: ShardSinkOptions) {
    const { target } = opts;
    const channel = this.channel;
    const header: PutShardRequestInit = {
      payload: {
        case: 'header',
        value: {
          diskId: target.diskId,
          diskUuid: target.diskUuid,
          shardId: this.shardId,
          totalLength: BigInt(opts.shardLength),
          blockSize: opts.blockSize,
          diskStateEpoch: target.diskStateEpoch,
          ioClass: commonV1.IoClass.FOREGROUND,
          allocationId: opts.allocationId,
        },
      },
    };
    async function* requests(): AsyncGenerator<PutShardRequestInit> {
      yield header;
      for await (const block of channel) yield { payload: { case: 'data', value: block } };
    }
    this.done = opts.client.putShard(requests(), { signal: opts.signal, timeoutMs: opts.timeoutMs });
    this.done.catch((err: unknown) => {
      this.failure = err;
      channel.abandon();
    });
  }

  get failed(): boolean {
    return this.failure !== undefined || this.channel.isAbandoned;
  }

  get error(): unknown {
    return this.failure;
  }

  /** Waits for room; a shard whose call failed drops the block at once. */
  push(block: Uint8Array): Promise<void> {
    return this.channel.push(block);
  }

  end(): void {
    this.channel.end();
  }
}
