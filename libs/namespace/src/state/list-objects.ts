import { compareBytes, immediateSuccessor, maxBytes, prefixSuccessor, utf8 } from '@platter/namespace-client';
import { escapeBytes } from '../encoding/key-codec.js';
import { decodeVersionSummary, isDeleteMarkerRecord } from '../encoding/records.js';
import { bucketPrefix, readVersionRowKey } from '../encoding/table-keys.js';
import { afterKey, afterPrefix, commonPrefixOf, type ListPosition } from '@platter/namespace-client';
import type { PartitionStore } from '../store/partition-store.js';
import { RowCursor } from './row-cursor.js';
import type { namespaceV1 } from '@platter/proto';

// Older versions of one key read in a row before the scan seeks past them:
// reading is cheaper than a new cursor for a few, a seek wins for many.
const OLDER_VERSIONS_BEFORE_SEEK = 8;
// Rows one page may read before it stops short (a page of keys hidden by
// delete markers); ~50 ms here. The page is then truncated with fewer keys.
export const DEFAULT_LIST_SCAN_BUDGET_ROWS = 50_000;

export interface ObjectsQuery {
  bucket: string;
  prefix: string;
  delimiter: string;
  from: ListPosition;
  maxKeys: number;
  scanBudgetRows?: number;
}

export interface ObjectsPage {
  objects: namespaceV1.ObjectSummary[];
  commonPrefixes: string[];
  /** Where the next page starts; undefined when this page reached the end. */
  next: ListPosition | undefined;
}

interface Item {
  bytes: Buffer;
  object?: namespaceV1.ObjectSummary;
}

/**
 * One partition's page of ListObjects: the current version of each key
 * (skipping keys whose latest version is a delete marker), with keys under a
 * common prefix rolled up, in UTF-8 byte order from `from`, up to maxKeys
 * keys and prefixes together.
 */
export function listObjectsPage(store: PartitionStore, query: ObjectsQuery): ObjectsPage {
  const bp = bucketPrefix(query.bucket);
  const prefixBytes = utf8(query.prefix);
  const delimiterBytes = utf8(query.delimiter);
  const start = Buffer.from(maxBytes(query.from.start, prefixBytes));
  const mayReportStartPrefix = query.from.insidePrefix;
  const rawEnd = prefixBytes.length > 0 ? prefixSuccessor(prefixBytes) : undefined;
  const end = rawEnd ? Buffer.concat([bp, escapeBytes(rawEnd)]) : prefixSuccessor(bp);
  const at = (raw: Uint8Array): Buffer => Buffer.concat([bp, escapeBytes(raw)]);
  const budget = query.scanBudgetRows ?? DEFAULT_LIST_SCAN_BUDGET_ROWS;

  const cursor = new RowCursor(store, 'versions', at(start), end);
  const items: Item[] = [];
  let lastKey: Buffer | undefined;
  // Where to resume if the page stopped after the last key it looked at.
  let resume: ListPosition | undefined;
  let olderRead = 0;
  let scanned = 0;
  let stoppedAt: ListPosition | undefined;
  try {
    for (let row = cursor.next(); row !== undefined; row = cursor.next()) {
      if (scanned++ >= budget && resume !== undefined) {
        stoppedAt = resume;
        break;
      }
      const { keyBytes, sequence } = readVersionRowKey(row.key, bp.length);
      if (lastKey !== undefined && keyBytes.equals(lastKey)) {
        if (++olderRead >= OLDER_VERSIONS_BEFORE_SEEK) {
          cursor.seek(at(immediateSuccessor(keyBytes)));
          olderRead = 0;
        }
        continue;
      }
      // The first row of a key is its latest version.
      lastKey = keyBytes;
      olderRead = 0;
      const cp = commonPrefixOf(keyBytes, prefixBytes, delimiterBytes);
      if (cp !== undefined) {
        if (compareBytes(cp, start) < 0 && !mayReportStartPrefix) {
          resume = afterPrefix(cp);
          cursor.seek(at(resume.start));
          continue;
        }
        if (isDeleteMarkerRecord(row.value)) {
          // Still looking for a live key under this prefix.
          resume = { start: immediateSuccessor(keyBytes), insidePrefix: true };
          continue;
        }
        items.push({ bytes: Buffer.from(cp) });
        if (items.length > query.maxKeys) break;
        resume = afterPrefix(cp);
        cursor.seek(at(resume.start));
        continue;
      }
      resume = afterKey(keyBytes);
      if (isDeleteMarkerRecord(row.value)) continue;
      items.push({
        bytes: Buffer.from(keyBytes),
        object: decodeVersionSummary(row.value, keyBytes.toString('utf8'), sequence, true),
      });
      if (items.length > query.maxKeys) break;
    }
  } finally {
    cursor.close();
  }

  let next = stoppedAt;
  if (items.length > query.maxKeys) {
    items.length = query.maxKeys;
    const last = items[items.length - 1];
    next = last === undefined ? undefined : last.object ? afterKey(last.bytes) : afterPrefix(last.bytes);
  }
  const objects: namespaceV1.ObjectSummary[] = [];
  const commonPrefixes: string[] = [];
  for (const item of items) {
    if (item.object) objects.push(item.object);
    else commonPrefixes.push(item.bytes.toString('utf8'));
  }
  return { objects, commonPrefixes, next };
}
