import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, RpcError } from '@platter/rpc';
import { commonV1, type storageV1 } from '@platter/proto';
import { crc32c, ShardNotFoundError, type ShardInfo, type ShardStore } from '@platter/shardstore';
import { storageError } from './error-detail.js';
import type { HostedDisk } from './hosted-disk.js';
import { checkShardId } from './shard-id.js';
import type { StorageContext } from './storage-context.js';

type PutRequest = storageV1.PutShardRequest;
type PutResponseInit = MessageInitShape<typeof storageV1.PutShardResponseSchema>;

const R = commonV1.ErrorReason;

function invalid(message: string): RpcError {
  return new RpcError(Code.INVALID_ARGUMENT, message);
}

/** A bigint length from the wire as a number, or INVALID_ARGUMENT. */
function lengthOf(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('total_length is too large');
  return Number(value);
}

interface Expected {
  length: number;
  blockSize: number;
  /** From the header, checked block by block as the bytes arrive. */
  headerCrcs: readonly number[] | undefined;
}

/**
 * The shard bytes of a PutShard stream, handed to the engine as they arrive
 * (never gathered). On the way each block's CRC32C is computed and checked
 * against the writer's (header: per block; trailer: at the end). Every check
 * happens before the engine sees the end of the source, and a failing source
 * makes the engine drop the record: a bad stream leaves nothing behind.
 */
async function* verifiedChunks(
  requests: AsyncIterator<PutRequest>,
  x: Expected,
  disk: HostedDisk,
  shardId: string,
): AsyncGenerator<Uint8Array> {
  const crcs: number[] = [];
  let received = 0;
  let blockFill = 0;
  let crc = 0;
  let trailer: readonly number[] | undefined;

  const closeBlock = (): void => {
    const expected = x.headerCrcs?.[crcs.length];
    crcs.push(crc);
    if (expected !== undefined && expected !== crc)
      throw storageError(
        Code.DATA_LOSS,
        R.CHECKSUM_MISMATCH,
        `block ${crcs.length - 1} does not match its CRC32C from the header`,
        shardId,
      );
    crc = 0;
    blockFill = 0;
  };

  for (;;) {
    const step = await requests.next();
    if (step.done) break;
    const payload = step.value.payload;
    switch (payload.case) {
      case 'data': {
        if (trailer !== undefined) throw invalid('data after the trailer');
        const data = payload.value;
        if (received + data.byteLength > x.length)
          throw invalid(`the stream carries more than total_length (${x.length}) bytes`);
        for (let off = 0; off < data.byteLength;) {
          const n = Math.min(x.blockSize - blockFill, data.byteLength - off);
          crc = crc32c(data.subarray(off, off + n), crc);
          blockFill += n;
          off += n;
          if (blockFill === x.blockSize) closeBlock();
        }
        received += data.byteLength;
        disk.noteReceived(data.byteLength);
        if (data.byteLength > 0) yield data;
        break;
      }
      case 'trailer':
        if (trailer !== undefined) throw invalid('a second trailer');
        if (x.headerCrcs !== undefined) throw invalid('block CRCs in both the header and the trailer');
        if (received !== x.length) throw invalid(`trailer after ${received} of ${x.length} bytes`);
        trailer = payload.value.blockCrc32c;
        break;
      case 'header':
        throw invalid('a second header');
      default:
        throw invalid('an empty PutShardRequest');
    }
  }
  if (received !== x.length) throw invalid(`the stream ended after ${received} of ${x.length} bytes`);
  if (blockFill > 0) closeBlock();
  if (trailer !== undefined) {
    if (trailer.length !== crcs.length)
      throw invalid(`trailer has ${trailer.length} block CRCs, the shard has ${crcs.length} blocks`);
    const bad = crcs.findIndex((c, i) => c !== trailer[i]);
    if (bad >= 0)
      throw storageError(
        Code.DATA_LOSS,
        R.CHECKSUM_MISMATCH,
        `block ${bad} does not match its CRC32C from the trailer`,
        shardId,
      );
  }
}

async function statOrUndefined(store: ShardStore, shardId: string): Promise<ShardInfo | undefined> {
  try {
    return await store.stat(shardId);
  } catch (err) {
    if (err instanceof ShardNotFoundError) return undefined;
    throw err;
  }
}

/** PutShard: header checks, the disk's state, tombstones, then the streamed write. */
export async function putShard(requests: AsyncIterable<PutRequest>, ctx: StorageContext): Promise<PutResponseInit> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done || first.value.payload.case !== 'header') throw invalid('the first message must be the header');
  const h = first.value.payload.value;

  const disk = ctx.disk(h.diskId);
  const store = disk.storeFor('put');
  if (h.diskUuid !== '' && h.diskUuid !== disk.diskUuid)
    throw storageError(
      Code.FAILED_PRECONDITION,
      R.WRONG_DISK,
      'the disk has another UUID: it was replaced or re-formatted',
      h.diskId,
    );
  const view = ctx.states.stateOf(h.diskId);
  // The newer view wins (proto/README.md, "Epochs"): an allocation made at a
  // newer epoch than ours saw the disk ACTIVE then.
  if (view.state !== commonV1.DiskState.ACTIVE && !(h.diskStateEpoch > view.stateEpoch)) {
    throw storageError(
      Code.FAILED_PRECONDITION,
      R.DISK_NOT_WRITABLE,
      `the disk is ${commonV1.DiskState[view.state] ?? view.state}, only ACTIVE disks take shards`,
      h.diskId,
    );
  }
  const shardId = checkShardId(h.shardId);
  if (h.blockSize === 0) throw invalid('block_size must be > 0');
  if (h.blockSize !== ctx.blockSizeBytes)
    throw invalid(`block_size ${h.blockSize} differs from this cluster's ${ctx.blockSizeBytes}`);
  const length = lengthOf(h.totalLength);
  const blocks = Math.ceil(length / h.blockSize);
  if (h.blockCrc32c.length !== 0 && h.blockCrc32c.length !== blocks)
    throw invalid(`header has ${h.blockCrc32c.length} block CRCs, the shard has ${blocks} blocks`);

  return disk.run('put', shardId, async () => {
    const existing = await statOrUndefined(store, shardId);
    if (existing?.state === 'deleted')
      throw storageError(Code.FAILED_PRECONDITION, R.SHARD_DELETED, 'this shard id was deleted on this disk', shardId);
    const source = verifiedChunks(
      it,
      { length, blockSize: h.blockSize, headerCrcs: h.blockCrc32c.length > 0 ? h.blockCrc32c : undefined },
      disk,
      shardId,
    );
    const info = await store.put(shardId, source, { expectedLength: length });
    return {
      diskId: disk.id,
      shardId,
      length: BigInt(info.length),
      blockCrc32c: [...info.blockCrcs],
      // The engine answers an identical re-put without storing anything new.
      alreadyExisted: existing?.state === 'live',
    };
  });
}
