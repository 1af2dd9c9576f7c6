import { CorruptionError, DiskIoError, RecordFormatError } from '../errors.js';
import type { ShardEntry } from '../format/index-entry.js';
import { decodeRecordHeader } from '../format/record-header.js';
import type { IoFile } from '../io/disk-io.js';
import { readVerifiedBlocks, STREAM_READ_BLOCKS } from './record-reader.js';

export type DamageKind = 'index' | 'missing' | 'header' | 'data' | 'io';

export interface DamagedShard {
  shardId: string;
  kind: DamageKind;
  /** Data blocks whose CRC failed (kind 'data'). */
  blocks: number[];
  detail: string;
}

export interface VerifyReport {
  checked: number;
  damaged: DamagedShard[];
  /** Resume point for the next page; absent when done. */
  nextAfter?: string;
}

/** Reads a whole record, header and every block, and says what is wrong with it. */
export async function verifyRecord(
  file: IoFile,
  shardId: string,
  entry: ShardEntry,
): Promise<DamagedShard | undefined> {
  const blocks: number[] = [];
  const n = entry.blockCrcs.length;
  try {
    for (let b = 0; b < n; b += STREAM_READ_BLOCKS) {
      try {
        await readVerifiedBlocks(file, shardId, entry, b, Math.min(STREAM_READ_BLOCKS, n - b));
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        blocks.push(...err.blocks);
      }
    }
    if (blocks.length > 0)
      return { shardId, kind: 'data', blocks, detail: `block CRC mismatch in ${blocks.length} of ${n} blocks` };
    const header = Buffer.alloc(entry.headerLength);
    let got: number;
    try {
      got = await file.read(header, 0, entry.headerLength, entry.recordOffset);
    } catch (err) {
      throw new DiskIoError(`read of the record header of ${JSON.stringify(shardId)} failed`, { cause: err });
    }
    if (got < entry.headerLength)
      return { shardId, kind: 'missing', blocks: [], detail: 'record header past the end of its extent' };
    const problem = headerProblem(header, shardId, entry);
    return problem ? { shardId, kind: 'header', blocks: [], detail: problem } : undefined;
  } catch (err) {
    if (err instanceof DiskIoError) return { shardId, kind: 'io', blocks, detail: err.message };
    throw err;
  }
}

function headerProblem(bytes: Buffer, shardId: string, entry: ShardEntry): string | undefined {
  try {
    const h = decodeRecordHeader(bytes, { extentId: entry.extentId, offset: entry.recordOffset });
    if (h.kind === 'delete') return 'a delete record where the index expects the shard';
    if (h.shardId !== shardId) return 'record header names another shard';
    if (
      h.dataLength !== entry.dataLength ||
      h.blockSize !== entry.blockSize ||
      h.headerLength !== entry.headerLength ||
      h.sequence !== entry.sequence
    )
      return 'record header disagrees with the index';
    if (h.blockCrcs.some((c, i) => c !== entry.blockCrcs[i])) return 'record header block CRCs disagree with the index';
    return undefined;
  } catch (err) {
    if (err instanceof RecordFormatError) return `record header: ${err.message}`;
    throw err;
  }
}
