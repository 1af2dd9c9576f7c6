import { crc32c } from '@platter/isal';
import { RecordFormatError } from '../errors.js';

// The superblock names the disk: a JSON file `superblock` at the top of the
// disk directory, written once at format time (temp file, fdatasync, rename,
// directory fsync), so it is either whole or absent:
//
//   {"format":"platter-shardstore","version":1,"diskUuid":"…","clusterId":"…",
//    "createdAt":"2026-…Z","crc32c":1234567890}
//
// `crc32c` covers the JSON text of the object without that field, in this
// field order. Human-readable on purpose: an operator can tell whose disk it is.

export const SUPERBLOCK_FORMAT = 'platter-shardstore';
export const SUPERBLOCK_VERSION = 1;
/** A superblock is a few hundred bytes; anything much larger is not one. */
export const MAX_SUPERBLOCK_BYTES = 4096;

export interface Superblock {
  diskUuid: string;
  clusterId: string;
  createdAt: string;
}

function body(s: Superblock): string {
  return JSON.stringify({
    format: SUPERBLOCK_FORMAT,
    version: SUPERBLOCK_VERSION,
    diskUuid: s.diskUuid,
    clusterId: s.clusterId,
    createdAt: s.createdAt,
  });
}

export function encodeSuperblock(s: Superblock): Buffer {
  const b = body(s);
  const crc = crc32c(Buffer.from(b, 'utf8'));
  return Buffer.from(`${b.slice(0, -1)},"crc32c":${crc}}\n`, 'utf8');
}

export function decodeSuperblock(bytes: Uint8Array): Superblock {
  if (bytes.byteLength > MAX_SUPERBLOCK_BYTES) throw new RecordFormatError('superblock too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new RecordFormatError('superblock is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new RecordFormatError('superblock is not an object');
  const o = parsed as Record<string, unknown>;
  if (o['format'] !== SUPERBLOCK_FORMAT) throw new RecordFormatError('not a Platter superblock');
  if (o['version'] !== SUPERBLOCK_VERSION)
    throw new RecordFormatError(`unknown superblock version ${String(o['version'])}`);
  const { diskUuid, clusterId, createdAt, crc32c: crc } = o;
  if (
    typeof diskUuid !== 'string' ||
    typeof clusterId !== 'string' ||
    typeof createdAt !== 'string' ||
    typeof crc !== 'number'
  ) {
    throw new RecordFormatError('superblock fields missing');
  }
  const s: Superblock = { diskUuid, clusterId, createdAt };
  if (crc32c(Buffer.from(body(s), 'utf8')) !== crc) throw new RecordFormatError('superblock CRC mismatch');
  return s;
}
