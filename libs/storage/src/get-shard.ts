import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, releaseAfterCopy, RpcError } from '@platter/rpc';
import type { storageV1 } from '@platter/proto';
import { crc32c, type ShardInfo } from '@platter/shardstore';
import { checkShardId } from './shard-id.js';
import { noSuchShard } from './status-mapping.js';
import type { StorageContext } from './storage-context.js';

type GetResponseInit = MessageInitShape<typeof storageV1.GetShardResponseSchema>;

/**
 * Largest data chunk per GetShard message, bytes: under grpc-js's default
 * 4 MiB receive limit with room for the frame, so any gRPC client can read
 * us without raising its limit.
 */
export const MAX_GET_CHUNK_BYTES = 2 * 1024 * 1024;

function outOfRange(message: string): RpcError {
  return new RpcError(Code.OUT_OF_RANGE, message);
}

/** The byte range [offset, offset+length) a request names, inside a shard of `size` bytes. */
export function rangeOf(offset: bigint, length: bigint, size: number): { offset: number; length: number } {
  if (offset > BigInt(size)) throw outOfRange(`offset ${offset} is past the end of a ${size}-byte shard`);
  const start = Number(offset);
  if (length === 0n) return { offset: start, length: size - start };
  if (offset + length > BigInt(size)) throw outOfRange(`range ${offset}+${length} ends past a ${size}-byte shard`);
  return { offset: start, length: Number(length) };
}

/**
 * Cuts verified engine chunks into messages: never across a block boundary,
 * never over `maxChunk`. A message that is exactly one stored block carries
 * the stored CRC (no second pass over the bytes); others get a fresh CRC32C.
 */
export function* chunkMessages(
  chunk: Buffer,
  position: number,
  info: ShardInfo,
  maxChunk: number,
): Generator<GetResponseInit> {
  const bs = info.blockSize;
  for (let off = 0; off < chunk.byteLength;) {
    const at = position + off;
    const blockEnd = (Math.floor(at / bs) + 1) * bs;
    const end = Math.min(chunk.byteLength, off + maxChunk, blockEnd - position);
    const data = chunk.subarray(off, end);
    const wholeBlock = at % bs === 0 && (data.byteLength === bs || at + data.byteLength === info.length);
    const stored = wholeBlock ? info.blockCrcs[at / bs] : undefined;
    yield { offset: BigInt(at), dataCrc32c: stored ?? crc32c(data), data };
    off = end;
  }
}

/** GetShard: a ranged, verified stream, paced by the client (the adapter waits for 'drain'). */
export async function* getShard(req: storageV1.GetShardRequest, ctx: StorageContext): AsyncGenerator<GetResponseInit> {
  const disk = ctx.disk(req.diskId);
  const shardId = checkShardId(req.shardId);
  const store = disk.storeFor('get');
  const info = await disk.run('get', shardId, (s) => s.stat(shardId));
  if (info.state !== 'live') throw noSuchShard(shardId);
  const range = rangeOf(req.offset, req.length, info.length);
  const maxChunk = req.maxChunkSize === 0 ? info.blockSize : Math.min(req.maxChunkSize, MAX_GET_CHUNK_BYTES);
  disk.begin();
  try {
    // Lent, not reused in turn: a chunk handed to gRPC may sit in the stream's
    // write queue after we pull the next one, so it goes back to the pool only
    // once grpc-js has copied its last message into a frame. Fresh memory per
    // chunk cost the storage process about a third of its CPU in collections
    // (64 MiB GETs after a while of mixed traffic, docs/benchmarks.md).
    const stream = await store.getStream(shardId, range, { lendBuffers: true });
    let position = stream.offset;
    for await (const chunk of stream.chunks) {
      let pending: GetResponseInit | undefined;
      for (const message of chunkMessages(chunk, position, stream.info, maxChunk)) {
        if (pending) yield pending;
        pending = message;
      }
      if (pending) yield releaseAfterCopy(pending, () => stream.release(chunk));
      position += chunk.byteLength;
      disk.noteSent(chunk.byteLength);
    }
  } catch (err) {
    throw disk.mapError(err, 'get', shardId);
  } finally {
    disk.end();
  }
}
