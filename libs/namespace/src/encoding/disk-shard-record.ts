import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { asBuffer, readU64be } from '@platter/namespace-client';
import { NULL_VERSION_ID, idFromSequence } from './ids.js';
import { readComponent } from './key-codec.js';
import { RECORD_FORMAT, RecordFormatError } from './records.js';
import { objectPrefix } from './table-keys.js';

/**
 * The value of a disk index row, (disk id, shard id) → the slot it fills.
 * Written for every shard of every write, so it is a fixed binary layout
 * rather than protobuf (building nine DiskShard messages per PUT was half of
 * a commit's CPU):
 *
 *   u8 format | u8 flags (1: upload owner, 2: the "null" version) |
 *   u16 shard index | u32 part number | u64 shard length |
 *   u64 owner sequence (version or upload) | (bucket, key) tuple key
 */
export interface ShardOwner {
  /** Encoded (bucket, key): the tuple prefix of the owner's rows. */
  objectPrefix: Buffer;
  upload: boolean;
  nullVersion: boolean;
  /** The version's or the upload's sequence (its id derives from it). */
  sequence: bigint;
}

const FLAG_UPLOAD = 0x01;
const FLAG_NULL_VERSION = 0x02;
const HEADER_BYTES = 24;

export function versionOwner(bucket: string, key: string, versionId: string, sequence: bigint): ShardOwner {
  return {
    objectPrefix: objectPrefix(bucket, key),
    upload: false,
    nullVersion: versionId === NULL_VERSION_ID,
    sequence,
  };
}

export function uploadOwner(bucket: string, key: string, uploadSequence: bigint): ShardOwner {
  return { objectPrefix: objectPrefix(bucket, key), upload: true, nullVersion: false, sequence: uploadSequence };
}

export function encodeDiskShardRecord(
  owner: ShardOwner,
  partNumber: number,
  shardIndex: number,
  shardLength: bigint,
): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = RECORD_FORMAT;
  header[1] = (owner.upload ? FLAG_UPLOAD : 0) | (owner.nullVersion ? FLAG_NULL_VERSION : 0);
  header.writeUInt16BE(shardIndex, 2);
  header.writeUInt32BE(partNumber, 4);
  header.writeBigUInt64BE(shardLength, 8);
  header.writeBigUInt64BE(owner.sequence, 16);
  return Buffer.concat([header, owner.objectPrefix]);
}

/** The contract's DiskShard for a row of the given disk and shard id. */
export function decodeDiskShardRecord(value: Uint8Array, diskId: string, shardId: string): namespaceV1.DiskShard {
  const buf = asBuffer(value);
  if (buf.length < HEADER_BYTES || buf[0] !== RECORD_FORMAT) throw new RecordFormatError('bad disk shard record');
  const flags = buf[1] ?? 0;
  const shardIndex = buf.readUInt16BE(2);
  const partNumber = buf.readUInt32BE(4);
  const shardLength = readU64be(buf, 8);
  const sequence = readU64be(buf, 16);
  const bucket = readComponent(buf, HEADER_BYTES);
  const key = readComponent(buf, bucket.next);
  const id = idFromSequence(sequence);
  const owner =
    flags & FLAG_UPLOAD
      ? { case: 'uploadId' as const, value: id }
      : { case: 'versionId' as const, value: flags & FLAG_NULL_VERSION ? NULL_VERSION_ID : id };
  const part = create(commonV1.PartRefSchema, {
    bucket: bucket.raw.toString('utf8'),
    key: key.raw.toString('utf8'),
    owner,
    partNumber,
  });
  return create(namespaceV1.DiskShardSchema, {
    shard: create(commonV1.ShardRefSchema, { part, shardIndex }),
    location: create(commonV1.ShardLocationSchema, { diskId, shardId, shardIndex }),
    shardLength,
  });
}
