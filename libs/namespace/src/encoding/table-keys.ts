import { asBuffer, readU64be, u32be, u64be, utf8 } from '@platter/namespace-client';
import { TERMINATOR_BYTES, descendingU64, readComponent, readDescendingU64, stringComponent } from './key-codec.js';

/** Key layouts of the replicated tables (see store/tables.ts). */

/** Encoded (bucket) prefix of the versions and uploads tables. */
export function bucketPrefix(bucket: string): Buffer {
  return stringComponent(bucket);
}

// One request computes the same (bucket, key) prefix several times (latest
// version, null version, new row, disk index owner): keep the last one.
let lastPrefix: { bucket: string; key: string; prefix: Buffer } | undefined;

/** Encoded (bucket, key): the prefix of one key's versions or uploads, and the null_versions key. Do not mutate. */
export function objectPrefix(bucket: string, key: string): Buffer {
  if (lastPrefix !== undefined && lastPrefix.bucket === bucket && lastPrefix.key === key) return lastPrefix.prefix;
  const prefix = Buffer.concat([stringComponent(bucket), stringComponent(key)]);
  lastPrefix = { bucket, key, prefix };
  return prefix;
}

/** The length versionKey would have, without building it. */
export function encodedVersionKeyLength(bucket: string, key: string): number {
  // U+0000 is the only character whose UTF-8 form holds a zero byte.
  const escapedLength = (text: string): number => {
    let zeros = 0;
    for (let at = text.indexOf('\u0000'); at !== -1; at = text.indexOf('\u0000', at + 1)) zeros++;
    return Buffer.byteLength(text, 'utf8') + zeros + TERMINATOR_BYTES;
  };
  return escapedLength(bucket) + escapedLength(key) + SEQUENCE_BYTES;
}

export function versionKey(bucket: string, key: string, sequence: bigint): Buffer {
  return Buffer.concat([objectPrefix(bucket, key), descendingU64(sequence)]);
}

export function uploadKey(bucket: string, key: string, sequence: bigint): Buffer {
  return Buffer.concat([objectPrefix(bucket, key), u64be(sequence)]);
}

/** A row of the versions or uploads table, split after the bucket prefix. */
export interface ObjectRowKey {
  /** Raw UTF-8 bytes of the object key. */
  keyBytes: Buffer;
  sequence: bigint;
}

const SEQUENCE_BYTES = 8;

/** Decodes a versions-table key whose bucket prefix is `prefixLength` bytes long. */
export function readVersionRowKey(row: Uint8Array, prefixLength: number): ObjectRowKey {
  const { raw, next } = readComponent(row, prefixLength);
  if (row.byteLength !== next + SEQUENCE_BYTES) throw new RangeError('bad version row key');
  return { keyBytes: raw, sequence: readDescendingU64(row, next) };
}

/** Decodes an uploads-table key whose bucket prefix is `prefixLength` bytes long. */
export function readUploadRowKey(row: Uint8Array, prefixLength: number): ObjectRowKey {
  const { raw, next } = readComponent(row, prefixLength);
  if (row.byteLength !== next + SEQUENCE_BYTES) throw new RangeError('bad upload row key');
  return { keyBytes: raw, sequence: readU64be(row, next) };
}

export function partKey(uploadSequence: bigint, partNumber: number): Buffer {
  return Buffer.concat([u64be(uploadSequence), u32be(partNumber)]);
}

export function partsPrefix(uploadSequence: bigint): Buffer {
  return u64be(uploadSequence);
}

export function readPartNumber(row: Uint8Array): number {
  return asBuffer(row).readUInt32BE(SEQUENCE_BYTES);
}

export function diskShardKey(diskId: string, shardId: string): Buffer {
  return Buffer.concat([stringComponent(diskId), utf8(shardId)]);
}

export function diskPrefix(diskId: string): Buffer {
  return stringComponent(diskId);
}

export function writeIdKey(writeId: string): Buffer {
  return utf8(writeId);
}

export function writeIdSeqKey(sequence: bigint): Buffer {
  return u64be(sequence);
}
