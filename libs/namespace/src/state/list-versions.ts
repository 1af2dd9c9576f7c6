import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { compareBytes, immediateSuccessor, maxBytes, prefixSuccessor, utf8 } from '@platter/namespace-client';
import { escapeBytes } from '../encoding/key-codec.js';
import { decodeUpload, decodeVersionSummary } from '../encoding/records.js';
import { bucketPrefix, readUploadRowKey, readVersionRowKey, uploadKey, versionKey } from '../encoding/table-keys.js';
import { invalidArgument, type NamespaceError } from '../errors.js';
import { sequenceFromId } from '../encoding/ids.js';
import { afterPrefix, commonPrefixOf } from '@platter/namespace-client';
import type { PartitionStore, Row } from '../store/partition-store.js';
import type { ObjectIndex } from './object-index.js';
import { RowCursor } from './row-cursor.js';

/**
 * ListObjectVersions and ListMultipartUploads on one partition. Both list
 * every row (a version, a delete marker, an upload) under S3's two markers,
 * so unlike ListObjects a page never reads rows it does not return — except
 * the keys under a common prefix, which it seeks past.
 */

interface MarkerQuery {
  bucket: string;
  prefix: string;
  delimiter: string;
  keyMarker: string;
  maxKeys: number;
}

interface MarkedPage<T> {
  items: Array<{ row: T } | { prefix: string }>;
  truncated: boolean;
}

/** A marker-driven scan shared by both listings; `startRow` is the table key to start at (or undefined). */
function scanMarked<T>(
  store: PartitionStore,
  table: 'versions' | 'uploads',
  query: MarkerQuery,
  startRow: Buffer | undefined,
  readRow: (row: Row, bp: number) => { keyBytes: Buffer; item: T },
): MarkedPage<T> {
  const bp = bucketPrefix(query.bucket);
  const prefixBytes = utf8(query.prefix);
  const delimiterBytes = utf8(query.delimiter);
  const markerBytes = utf8(query.keyMarker);
  const at = (raw: Uint8Array): Buffer => Buffer.concat([bp, escapeBytes(raw)]);
  const afterMarker = startRow ?? at(query.keyMarker === '' ? Buffer.alloc(0) : immediateSuccessor(markerBytes));
  const start = maxBytes(afterMarker, at(prefixBytes));
  const rawEnd = prefixBytes.length > 0 ? prefixSuccessor(prefixBytes) : undefined;
  const end = rawEnd ? at(rawEnd) : prefixSuccessor(bp);
  const cursor = new RowCursor(store, table, start, end);
  const items: MarkedPage<T>['items'] = [];
  try {
    for (let row = cursor.next(); row !== undefined; row = cursor.next()) {
      const { keyBytes, item } = readRow(row, bp.length);
      const cp = commonPrefixOf(keyBytes, prefixBytes, delimiterBytes);
      if (cp !== undefined) {
        // S3 reports a common prefix only when it sorts after the key marker.
        if (query.keyMarker === '' || compareBytes(cp, markerBytes) > 0) items.push({ prefix: cp.toString('utf8') });
        cursor.seek(at(afterPrefix(cp).start));
      } else {
        items.push({ row: item });
      }
      if (items.length > query.maxKeys) break;
    }
  } finally {
    cursor.close();
  }
  const truncated = items.length > query.maxKeys;
  if (truncated) items.length = query.maxKeys;
  return { items, truncated };
}

export function listObjectVersionsPage(
  store: PartitionStore,
  index: ObjectIndex,
  request: namespaceV1.ListObjectVersionsRequest,
  maxKeys: number,
): namespaceV1.ListObjectVersionsResponse | NamespaceError {
  const { bucket, keyMarker, versionIdMarker } = request;
  let startRow: Buffer | undefined;
  if (keyMarker !== '' && versionIdMarker !== '') {
    const sequence = index.resolveVersionId(bucket, keyMarker, versionIdMarker);
    if (sequence === 'malformed') return invalidArgument('invalid version id marker', versionIdMarker);
    // A "null" marker whose version is gone resumes after the whole key.
    if (sequence !== undefined) startRow = immediateSuccessor(versionKey(bucket, keyMarker, sequence));
  }
  let previousKey: Buffer | undefined;
  const markerKey = utf8(keyMarker);
  const page = scanMarked(store, 'versions', { ...request, maxKeys }, startRow, (row, bp) => {
    const { keyBytes, sequence } = readVersionRowKey(row.key, bp);
    // Newest first: the first row of a key is its latest, unless the page
    // started in the middle of the marker key's versions.
    const isLatest =
      !(previousKey?.equals(keyBytes) ?? false) && !(startRow !== undefined && keyBytes.equals(markerKey));
    previousKey = keyBytes;
    return { keyBytes, item: decodeVersionSummary(row.value, keyBytes.toString('utf8'), sequence, isLatest) };
  });
  const response = create(namespaceV1.ListObjectVersionsResponseSchema, { isTruncated: page.truncated });
  for (const item of page.items) {
    if ('prefix' in item) response.commonPrefixes.push(item.prefix);
    else response.versions.push(item.row);
  }
  const last = page.items[page.items.length - 1];
  if (page.truncated && last !== undefined) {
    response.nextKeyMarker = 'prefix' in last ? last.prefix : last.row.key;
    response.nextVersionIdMarker = 'prefix' in last ? '' : last.row.versionId;
  }
  return response;
}

export function listMultipartUploadsPage(
  store: PartitionStore,
  request: namespaceV1.ListMultipartUploadsRequest,
  maxUploads: number,
): namespaceV1.ListMultipartUploadsResponse | NamespaceError {
  const { bucket, keyMarker, uploadIdMarker } = request;
  let startRow: Buffer | undefined;
  if (keyMarker !== '' && uploadIdMarker !== '') {
    const sequence = sequenceFromId(uploadIdMarker);
    if (sequence === undefined) return invalidArgument('invalid upload id marker', uploadIdMarker);
    startRow = immediateSuccessor(uploadKey(bucket, keyMarker, sequence));
  }
  const query = { ...request, maxKeys: maxUploads };
  const page = scanMarked(store, 'uploads', query, startRow, (row, bp) => ({
    keyBytes: readUploadRowKey(row.key, bp).keyBytes,
    item: decodeUpload(row.value),
  }));
  const response = create(namespaceV1.ListMultipartUploadsResponseSchema, { isTruncated: page.truncated });
  for (const item of page.items) {
    if ('prefix' in item) response.commonPrefixes.push(item.prefix);
    else response.uploads.push(item.row);
  }
  const last = page.items[page.items.length - 1];
  if (page.truncated && last !== undefined) {
    response.nextKeyMarker = 'prefix' in last ? last.prefix : last.row.key;
    response.nextUploadIdMarker = 'prefix' in last ? '' : last.row.uploadId;
  }
  return response;
}
