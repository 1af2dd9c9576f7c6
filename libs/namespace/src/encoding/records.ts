import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { asBuffer, readU64be, u64be } from '@platter/namespace-client';
import { messageCodec } from '@platter/rpc';

/**
 * Values of the replicated tables. Each starts with a record format byte so a
 * later format can be told apart; the rest is protobuf from the contract,
 * which already describes every field. The head encodes, replicas store the
 * bytes verbatim, so encodings need not be canonical.
 */
export const RECORD_FORMAT = 1;

export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
}

function checkFormat(bytes: Uint8Array): void {
  if (bytes.byteLength === 0 || bytes[0] !== RECORD_FORMAT) throw new RecordFormatError('unknown record format');
}

function encodeMessage<D extends DescMessage>(schema: D, message: MessageShape<D>): Buffer {
  return Buffer.concat([Buffer.from([RECORD_FORMAT]), messageCodec(schema).encode(message)]);
}

function decodeMessage<D extends DescMessage>(schema: D, bytes: Uint8Array): MessageShape<D> {
  checkFormat(bytes);
  return messageCodec(schema).decode(plain(bytes).subarray(1));
}

/**
 * A plain Uint8Array view: protobuf-es hands out bytes fields as subarrays of
 * its input, and they should be Uint8Arrays (not Buffers) like everywhere else.
 */
function plain(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

// ---------------------------------------------------------------- versions

const VERSION_FLAG_DELETE_MARKER = 0x01;
const VERSION_FLAG_NULL_VERSION = 0x02;
// format byte, flags byte, u32 length of the listing summary.
const VERSION_HEADER_BYTES = 6;

/**
 * An object version:
 *
 *   u8 format | u8 flags (1: delete marker, 2: the "null" version) |
 *   u32 S | summary (S bytes) | u32 M | ObjectVersion without layout (M bytes, protobuf) |
 *   ObjectLayout (protobuf, the rest)
 *
 * summary = u64 size | u64 created-at ms | u16+etag | u16+storage class |
 * u16+owner | u8 n | n × (u8 checksum algorithm, u8 checksum type): what a
 * listing row shows, read without protobuf (decoding it was most of a page's
 * time). A skipped row (delete marker) needs only the flags byte; a GET
 * decodes the metadata and the layout.
 */
export function encodeVersion(version: namespaceV1.ObjectVersion): Buffer {
  const meta = messageCodec(namespaceV1.ObjectVersionSchema).encode({ ...version, layout: undefined, isLatest: false });
  const layout = version.layout ? messageCodec(commonV1.ObjectLayoutSchema).encode(version.layout) : new Uint8Array(0);
  const etag = Buffer.from(version.etag, 'utf8');
  const storageClass = Buffer.from(version.storageClass, 'utf8');
  const owner = Buffer.from(version.ownerAccountId, 'utf8');
  const summaryLength = 16 + 6 + etag.length + storageClass.length + owner.length + 1 + 2 * version.checksums.length;
  const head = Buffer.allocUnsafe(VERSION_HEADER_BYTES + summaryLength);
  head[0] = RECORD_FORMAT;
  head[1] =
    (version.deleteMarker ? VERSION_FLAG_DELETE_MARKER : 0) |
    (version.versionId === 'null' ? VERSION_FLAG_NULL_VERSION : 0);
  head.writeUInt32BE(summaryLength, 2);
  let at = VERSION_HEADER_BYTES;
  at = head.writeBigUInt64BE(version.size, at);
  at = head.writeBigUInt64BE(BigInt(version.createdAt ? timestampMs(version.createdAt) : 0), at);
  for (const text of [etag, storageClass, owner]) {
    at = head.writeUInt16BE(text.length, at);
    at += text.copy(head, at);
  }
  head[at++] = version.checksums.length;
  for (const c of version.checksums) {
    head[at++] = c.algorithm;
    head[at++] = c.type;
  }
  const metaLength = Buffer.allocUnsafe(4);
  metaLength.writeUInt32BE(meta.byteLength, 0);
  return Buffer.concat([head, metaLength, meta, layout]);
}

export function isDeleteMarkerRecord(bytes: Uint8Array): boolean {
  checkFormat(bytes);
  return ((bytes[1] ?? 0) & VERSION_FLAG_DELETE_MARKER) !== 0;
}

/** [start, end) of the metadata protobuf. */
function metaSpan(bytes: Uint8Array): [number, number] {
  checkFormat(bytes);
  const buf = asBuffer(bytes);
  if (buf.length < VERSION_HEADER_BYTES) throw new RecordFormatError('truncated version record');
  const metaAt = VERSION_HEADER_BYTES + buf.readUInt32BE(2);
  if (metaAt + 4 > buf.length) throw new RecordFormatError('truncated version record');
  const end = metaAt + 4 + buf.readUInt32BE(metaAt);
  if (end > buf.length) throw new RecordFormatError('truncated version record');
  return [metaAt + 4, end];
}

/** The version without its layout (HEAD). */
export function decodeVersionMeta(bytes: Uint8Array): namespaceV1.ObjectVersion {
  const [start, end] = metaSpan(bytes);
  return messageCodec(namespaceV1.ObjectVersionSchema).decode(plain(bytes).subarray(start, end));
}

/** The whole version, layout included. */
export function decodeVersion(bytes: Uint8Array): namespaceV1.ObjectVersion {
  const [start, end] = metaSpan(bytes);
  const view = plain(bytes);
  const version = messageCodec(namespaceV1.ObjectVersionSchema).decode(view.subarray(start, end));
  if (end < bytes.byteLength) version.layout = messageCodec(commonV1.ObjectLayoutSchema).decode(view.subarray(end));
  return version;
}

/** A listing row from the record's summary; the key and sequence come from the row key. */
export function decodeVersionSummary(
  bytes: Uint8Array,
  key: string,
  sequence: bigint,
  isLatest: boolean,
): namespaceV1.ObjectSummary {
  checkFormat(bytes);
  const buf = asBuffer(bytes);
  const flags = buf[1] ?? 0;
  const end = VERSION_HEADER_BYTES + buf.readUInt32BE(2);
  if (end > buf.length) throw new RecordFormatError('truncated version record');
  let at = VERSION_HEADER_BYTES;
  const size = buf.readBigUInt64BE(at);
  const createdMs = Number(buf.readBigUInt64BE(at + 8));
  at += 16;
  const text = (): string => {
    const length = buf.readUInt16BE(at);
    const out = buf.toString('utf8', at + 2, at + 2 + length);
    at += 2 + length;
    return out;
  };
  const etag = text();
  const storageClass = text();
  const ownerAccountId = text();
  const count = buf[at++] ?? 0;
  const checksumAlgorithms: commonV1.ChecksumAlgorithm[] = [];
  let checksumType = commonV1.ChecksumType.UNSPECIFIED;
  for (let i = 0; i < count; i++) {
    checksumAlgorithms.push(buf[at++] ?? 0);
    const type = buf[at++] ?? 0;
    if (i === 0) checksumType = type;
  }
  if (at > end) throw new RecordFormatError('bad version summary');
  return {
    $typeName: 'platter.namespace.v1.ObjectSummary',
    key,
    versionId: flags & VERSION_FLAG_NULL_VERSION ? 'null' : sequence.toString(16).padStart(16, '0'),
    isLatest,
    deleteMarker: (flags & VERSION_FLAG_DELETE_MARKER) !== 0,
    size,
    etag,
    createdAt: {
      $typeName: 'google.protobuf.Timestamp',
      seconds: BigInt(Math.floor(createdMs / 1000)),
      nanos: (createdMs % 1000) * 1_000_000,
    },
    storageClass,
    ownerAccountId,
    checksumAlgorithms,
    checksumType,
  };
}

// ---------------------------------------------------------------- others

export const encodeBucket = (b: namespaceV1.Bucket): Buffer => encodeMessage(namespaceV1.BucketSchema, b);
export const decodeBucket = (bytes: Uint8Array): namespaceV1.Bucket => decodeMessage(namespaceV1.BucketSchema, bytes);

export const encodeUpload = (u: namespaceV1.MultipartUpload): Buffer =>
  encodeMessage(namespaceV1.MultipartUploadSchema, u);
export const decodeUpload = (bytes: Uint8Array): namespaceV1.MultipartUpload =>
  decodeMessage(namespaceV1.MultipartUploadSchema, bytes);

export const encodePart = (p: namespaceV1.UploadedPart): Buffer => encodeMessage(namespaceV1.UploadedPartSchema, p);
export const decodePart = (bytes: Uint8Array): namespaceV1.UploadedPart =>
  decodeMessage(namespaceV1.UploadedPartSchema, bytes);

// ---------------------------------------------------------------- write ids

/** What a write_id's first attempt returned: the op kind, its sequence and its response (protobuf). */
export interface WriteIdRecord {
  opCode: number;
  sequence: bigint;
  response: Uint8Array;
}

// format byte, op code byte, u64 sequence.
const WRITE_ID_HEADER_BYTES = 10;

export function encodeWriteId(record: WriteIdRecord): Buffer {
  const header = Buffer.allocUnsafe(WRITE_ID_HEADER_BYTES);
  header[0] = RECORD_FORMAT;
  header[1] = record.opCode;
  header.writeBigUInt64BE(record.sequence, 2);
  return Buffer.concat([header, record.response]);
}

export function decodeWriteId(bytes: Uint8Array): WriteIdRecord {
  checkFormat(bytes);
  if (bytes.byteLength < WRITE_ID_HEADER_BYTES) throw new RecordFormatError('truncated write id record');
  return {
    opCode: bytes[1] ?? 0,
    sequence: readU64be(bytes, 2),
    response: plain(bytes).subarray(WRITE_ID_HEADER_BYTES),
  };
}

// ---------------------------------------------------------------- meta

/** meta/applied: the last applied entry's sequence and the chain epoch it was made in. */
export interface AppliedMark {
  sequence: bigint;
  epoch: bigint;
}

export function encodeApplied(mark: AppliedMark): Buffer {
  return Buffer.concat([u64be(mark.sequence), u64be(mark.epoch)]);
}

export function decodeApplied(bytes: Uint8Array | undefined): AppliedMark {
  if (bytes === undefined) return { sequence: 0n, epoch: 0n };
  if (bytes.byteLength !== 16) throw new RecordFormatError('bad applied mark');
  return { sequence: readU64be(bytes, 0), epoch: readU64be(bytes, 8) };
}
