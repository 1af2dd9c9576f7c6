import { crc32c } from '@platter/isal';
import { CorruptionError, DiskIoError } from '../errors.js';
import type { ShardEntry } from '../format/index-entry.js';
import type { IoFile } from '../io/disk-io.js';
import type { BufferPool } from './buffer-pool.js';

// Reads touch only the blocks that hold the requested range and verify each
// one before any byte leaves: a mismatch is an error, never data.

/** Blocks read per I/O when streaming (1 MiB at the default 1 MiB block). */
export const STREAM_READ_BLOCKS = 1;
/**
 * Reads kept in flight ahead of the consumer. With CRC32C at tens of GB/s
 * (ISA-L) the disk, not the CPU, bounds a streamed read, and four 1 MiB reads
 * in flight beat one 4 MiB read (paired runs of `npm run bench -- shardstore`
 * on the same extents: median 0.83–0.85 of raw against 0.74–0.78), mostly at
 * the start of each shard, where one big read left the pipeline empty.
 */
const READ_AHEAD = 4;

interface RawBlocks {
  buf: Buffer;
  firstBlock: number;
  blockCount: number;
}

/** Reads whole blocks without checking them (see verifyBlocks). */
async function readBlocks(
  file: IoFile,
  shardId: string,
  entry: ShardEntry,
  firstBlock: number,
  blockCount: number,
  into?: Buffer,
): Promise<RawBlocks> {
  const bs = entry.blockSize;
  const start = firstBlock * bs;
  const end = Math.min(entry.dataLength, (firstBlock + blockCount) * bs);
  const want = end - start;
  const buf = into ? into.subarray(0, want) : Buffer.allocUnsafe(want);
  let got: number;
  try {
    got = await file.read(buf, 0, want, entry.recordOffset + entry.headerLength + start);
  } catch (err) {
    throw new DiskIoError(`read of shard ${JSON.stringify(shardId)} failed`, { cause: err });
  }
  if (got < want) {
    const missing: number[] = [];
    for (let b = firstBlock + Math.floor(got / bs); b < firstBlock + blockCount; b++) missing.push(b);
    throw new CorruptionError(shardId, 'record extends past the end of its extent', missing);
  }
  return { buf, firstBlock, blockCount };
}

function verifyBlocks(shardId: string, entry: ShardEntry, r: RawBlocks): Buffer {
  const bs = entry.blockSize;
  const bad: number[] = [];
  for (let i = 0; i < r.blockCount; i++) {
    const slice = r.buf.subarray(i * bs, Math.min(r.buf.length, (i + 1) * bs));
    if (crc32c(slice) !== entry.blockCrcs[r.firstBlock + i]) bad.push(r.firstBlock + i);
  }
  if (bad.length > 0) throw new CorruptionError(shardId, `block CRC mismatch in block(s) ${bad.join(', ')}`, bad);
  return r.buf;
}

/** Reads and verifies whole blocks, into `into` when given (it must be large enough). */
export async function readVerifiedBlocks(
  file: IoFile,
  shardId: string,
  entry: ShardEntry,
  firstBlock: number,
  blockCount: number,
  into?: Buffer,
): Promise<Buffer> {
  return verifyBlocks(shardId, entry, await readBlocks(file, shardId, entry, firstBlock, blockCount, into));
}

/** The verified bytes [offset, offset+length) of a shard, read in one I/O. */
export async function readRange(
  file: IoFile,
  shardId: string,
  entry: ShardEntry,
  offset: number,
  length: number,
): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const bs = entry.blockSize;
  const first = Math.floor(offset / bs);
  const last = Math.floor((offset + length - 1) / bs);
  const buf = await readVerifiedBlocks(file, shardId, entry, first, last - first + 1);
  const from = offset - first * bs;
  return buf.subarray(from, from + length);
}

/**
 * Where streamed chunks are read into: fresh memory when absent; a `ring` of
 * READ_AHEAD + 1 pooled buffers reused in turn, so that a chunk is valid only
 * until the consumer asks for the next one; or pooled buffers `lend`-ed one per
 * chunk, which the consumer hands to `release` (once) when nothing reads them
 * any more — for consumers that pass chunks on to a queue, such as a gRPC
 * stream. Fresh memory costs a page fault per 4 KiB here (STACK.md #12) and
 * one external ArrayBuffer per chunk for the garbage collector.
 */
export interface ChunkMemory {
  pool: BufferPool;
  mode: 'ring' | 'lend';
  /** In `lend` mode, called with each chunk and the pooled buffer it is a view of. */
  onLend?: (chunk: Buffer, pooled: Buffer) => void;
}

/**
 * The verified bytes of a range as a sequence of chunks, a block or a few per I/O,
 * with the next reads already in flight while the consumer handles a chunk.
 */
export async function* readRangeChunks(
  file: IoFile,
  shardId: string,
  entry: ShardEntry,
  offset: number,
  length: number,
  memory?: ChunkMemory,
): AsyncGenerator<Buffer> {
  if (length === 0) return;
  const bs = entry.blockSize;
  const end = offset + length;
  const last = Math.floor((end - 1) / bs);
  const pool = memory?.pool;
  const ring = memory?.mode === 'ring' ? Array.from({ length: READ_AHEAD + 1 }, () => memory.pool.take()) : undefined;
  let turn = 0;
  let nextBlock = Math.floor(offset / bs);
  const queue: Array<{ read: Promise<RawBlocks>; into: Buffer | undefined }> = [];
  const start = (): void => {
    if (nextBlock > last) return;
    const into = ring ? ring[turn++ % ring.length] : memory?.mode === 'lend' ? memory.pool.take() : undefined;
    const read = readBlocks(file, shardId, entry, nextBlock, Math.min(STREAM_READ_BLOCKS, last - nextBlock + 1), into);
    nextBlock += STREAM_READ_BLOCKS;
    // Handled when awaited; this only keeps an abandoned read-ahead from being "unhandled".
    read.catch(() => undefined);
    queue.push({ read, into });
  };
  for (let i = 0; i < READ_AHEAD; i++) start();
  try {
    while (queue.length > 0) {
      const { read, into } = queue.shift()!;
      const raw = await read;
      // The next read goes out before this chunk's CRCs are checked, so checking overlaps I/O.
      start();
      const buf = verifyBlocks(shardId, entry, raw);
      const bufStart = raw.firstBlock * bs;
      const from = Math.max(offset, bufStart) - bufStart;
      const to = Math.min(end, bufStart + buf.length) - bufStart;
      const chunk = buf.subarray(from, to);
      if (into && !ring) memory?.onLend?.(chunk, into);
      yield chunk;
    }
  } finally {
    if (pool && (ring || queue.length > 0)) {
      // Never hand a buffer back while a read may still land in it.
      await Promise.all(queue.map((q) => q.read.catch(() => undefined)));
      for (const b of ring ?? queue.map((q) => q.into!)) pool.give(b);
    }
  }
}
