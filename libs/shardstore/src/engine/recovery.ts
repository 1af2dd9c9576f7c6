import * as path from 'node:path';
import { RecordFormatError } from '../errors.js';
import { decodeExtentMeta, decodeShardEntry, locationRange, type ExtentMeta } from '../format/index-entry.js';
import { decodeRecordHeader, peekRecordHeaderLength, RECORD_FIXED_BYTES } from '../format/record-header.js';
import type { DiskIo, IoFile } from '../io/disk-io.js';
import type { IndexStore } from '../index/index-store.js';
import { lookupEntry, META_SEQUENCE_KEY, recordLengthOf } from './commit-batch.js';
import { Extent, extentFileName, ExtentSet, parseExtentFileName } from './extent-set.js';

// Recovery trusts the index, whose values carry CRCs: every acknowledged
// record ends at or before its extent's committed end. Bytes past it belong to
// writes that were never acknowledged, so they are cut off. Only the active
// extent's tail is scanned, to report what is dropped; nothing read from an
// extent is believed unless its CRC verified.

export interface RecoveryReport {
  extents: number;
  /** Extent files the index did not know (a rollover or removal cut short). */
  orphanExtentsRemoved: number;
  /** Registered extents whose file was missing: their shards read as corrupt. */
  lostExtents: number[];
  /** Extents shorter than their committed end: the disk lost synced data. */
  shortExtents: number[];
  /** Extent metadata that failed its CRC and was recounted from the index. */
  rebuiltExtentMeta: number[];
  tailBytesTruncated: number;
  /** Whole records past the committed end (written, never acknowledged). */
  tailRecordsDropped: number;
  /** A partial record at the very end (the write was cut). */
  tornRecordsDropped: number;
  durationMs: number;
}

export async function recoverExtents(
  io: DiskIo,
  index: IndexStore,
  extentsDir: string,
  extentSizeBytes: number,
): Promise<{ extents: ExtentSet; report: RecoveryReport; sequence: number }> {
  const t0 = performance.now();
  const report: RecoveryReport = {
    extents: 0,
    orphanExtentsRemoved: 0,
    lostExtents: [],
    shortExtents: [],
    rebuiltExtentMeta: [],
    tailBytesTruncated: 0,
    tailRecordsDropped: 0,
    tornRecordsDropped: 0,
    durationMs: 0,
  };

  const metas = new Map<number, ExtentMeta>();
  for (const [key, raw] of index.range('extents', {})) {
    if (!/^[0-9a-f]{8}$/.test(key)) continue;
    const id = parseInt(key, 16);
    try {
      metas.set(id, decodeExtentMeta(key, raw));
    } catch (err) {
      if (!(err instanceof RecordFormatError)) throw err;
      metas.set(id, recountExtent(index, id));
      report.rebuiltExtentMeta.push(id);
    }
  }

  const files = new Map<number, string>();
  for (const name of await io.readdir(extentsDir)) {
    const id = parseExtentFileName(name);
    if (id !== undefined) files.set(id, path.join(extentsDir, name));
  }
  let maxId = 0;
  for (const id of [...metas.keys(), ...files.keys()]) maxId = Math.max(maxId, id);

  for (const [id, file] of files) {
    if (metas.has(id)) continue;
    await io.unlink(file);
    report.orphanExtentsRemoved++;
  }
  if (report.orphanExtentsRemoved > 0) await io.syncDir(extentsDir);

  const set = new ExtentSet(io, extentsDir, extentSizeBytes, maxId + 1);
  const candidates: Extent[] = [];
  for (const [id, meta] of [...metas].sort((a, b) => a[0] - b[0])) {
    const file = files.get(id);
    const extent = new Extent(id, path.join(extentsDir, extentFileName(id)), meta);
    set.add(extent);
    if (report.rebuiltExtentMeta.includes(id)) extent.dirty = true;
    if (!file) {
      extent.lost = true;
      report.lostExtents.push(id);
      continue;
    }
    const handle = await set.fileOf(extent);
    const size = await handle.size();
    if (size < meta.committedEnd) {
      report.shortExtents.push(id);
      extent.meta = { ...meta, sealed: true };
      extent.dirty = true;
      continue;
    }
    // A recounted end may miss a record whose own entry is damaged: cut nothing then.
    if (size > meta.committedEnd && !extent.dirty) {
      if (!meta.sealed) await scanTail(handle, meta.committedEnd, size, report);
      report.tailBytesTruncated += size - meta.committedEnd;
      await handle.truncate(meta.committedEnd);
      await handle.datasync();
    }
    if (!meta.sealed) candidates.push(extent);
  }
  // The newest unsealed extent keeps taking appends; any other is sealed.
  const active = candidates.pop();
  for (const e of candidates) {
    e.meta = { ...e.meta, sealed: true };
    e.dirty = true;
  }
  if (active) set.active = active;
  report.extents = metas.size;
  report.durationMs = performance.now() - t0;
  return { extents: set, report, sequence: readSequence(index) };
}

/** Counts what lies past the committed end; the caller truncates it all. */
async function scanTail(file: IoFile, from: number, size: number, report: RecoveryReport): Promise<void> {
  let pos = from;
  const prefix = Buffer.alloc(RECORD_FIXED_BYTES);
  while (pos < size) {
    const got = await file.read(prefix, 0, RECORD_FIXED_BYTES, pos);
    try {
      if (got < RECORD_FIXED_BYTES) throw new RecordFormatError('short');
      const headerLength = peekRecordHeaderLength(prefix);
      if (pos + headerLength > size) throw new RecordFormatError('header past end');
      const header = Buffer.alloc(headerLength);
      await file.read(header, 0, headerLength, pos);
      const h = decodeRecordHeader(header);
      const end = pos + h.headerLength + h.dataLength;
      if (end > size) throw new RecordFormatError('data past end');
      report.tailRecordsDropped++;
      // The data is dropped unread: only the header decides where the next record starts.
      pos = end;
    } catch (err) {
      if (!(err instanceof RecordFormatError)) throw err;
      report.tornRecordsDropped++;
      return;
    }
  }
}

/** Rebuilds an extent's accounting from the shard entries that point into it. */
function recountExtent(index: IndexStore, extentId: number): ExtentMeta {
  const meta: ExtentMeta = { extentId, sealed: true, committedEnd: 0, liveBytes: 0, liveCount: 0 };
  for (const [, idBytes] of index.range('locations', locationRange(extentId))) {
    const found = lookupEntry(index, Buffer.from(idBytes).toString('utf8'));
    if (!found || !('entry' in found) || found.entry.extentId !== extentId) continue;
    const e = found.entry;
    meta.committedEnd = Math.max(meta.committedEnd, e.recordOffset + recordLengthOf(e));
    if (e.state === 'live') {
      meta.liveBytes += recordLengthOf(e);
      meta.liveCount++;
    }
  }
  return meta;
}

function readSequence(index: IndexStore): number {
  const raw = index.get('meta', META_SEQUENCE_KEY);
  if (raw && raw.byteLength === 8) {
    const v = Buffer.from(raw).readBigUInt64LE(0);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  }
  // Missing or damaged: recount, so new records never reuse a sequence number.
  let max = 0;
  for (const [key, raw2] of index.range('shards', {})) {
    try {
      max = Math.max(max, decodeShardEntry(key, raw2).sequence + 1);
    } catch {
      // A damaged entry has no usable sequence; verify reports it.
    }
  }
  return max;
}
