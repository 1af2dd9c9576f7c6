import * as path from 'node:path';
import {
  CorruptionError,
  DiskFailedError,
  RecordFormatError,
  ShardExistsError,
  ShardNotFoundError,
} from '../errors.js';
import {
  decodeExtentMeta,
  decodeShardEntry,
  locationRange,
  type ExtentMeta,
  type ShardEntry,
} from '../format/index-entry.js';
import type { RecordHeader } from '../format/record-header.js';
import { comparePlaces, decodeReplayMark, META_APPLIED_KEY, type ReplayMark } from '../format/replay-mark.js';
import type { DiskIo } from '../io/disk-io.js';
import type { IndexStore } from '../index/index-store.js';
import type { StagedIndex } from '../index/staged-index.js';
import { lookupEntry, Plan, recordLengthOf, stagePlan, type CommitRequest } from './commit-batch.js';
import { Extent, extentFileName, ExtentSet, parseExtentFileName } from './extent-set.js';
import { META_SEQUENCE_KEY } from './index-flusher.js';
import { LogReader, type LogRead } from './log-reader.js';

// Recovery on open: the extents are a redo log and the index lags it. The
// index's replay mark says where its knowledge ends: every record before
// `from` (in log order) is applied, or had no effect, or is listed as
// pending. Recovery reads each pending record, then scans from `from` to the
// end of the log (across every extent created since), re-applies each record
// that verifies — prefix, header and every data block — in log order, with
// the same decisions the live engine made, writes each record it rolls
// forward again and syncs it (its first sync may have failed), and cuts each
// extent where its log stops verifying. It reads nothing else: no whole
// extents, no old records.

export interface RecoveryReport {
  extents: number;
  /** Extent files the index did not know and that the log does not reach (a removal cut short). */
  orphanExtentsRemoved: number;
  /** Registered extents whose file was missing: their shards read as corrupt. */
  lostExtents: number[];
  /** Extents shorter than their committed end: the disk lost synced data. */
  shortExtents: number[];
  /** Extent metadata that failed its CRC and was recounted from the index. */
  rebuiltExtentMeta: number[];
  /** Whole records read from the log (pending ones and those past the replay mark). */
  recordsScanned: number;
  /** Of those, records whose change the index lacked and now has (rolled forward). */
  recordsReplayed: number;
  /** Log bytes read past the replay mark, data included. */
  bytesScanned: number;
  /** Extents the scan past the replay mark walked (more than one when the log rolled over since). */
  extentsScanned: number;
  tailBytesTruncated: number;
  /** Records whose prefix verified but whose header or data did not (a write that never finished): skipped. */
  tailRecordsDropped: number;
  /** Extents whose log ended in bytes that are not a record (a torn write) with bytes after them: cut there. */
  tornRecordsDropped: number;
  durationMs: number;
}

export async function recoverExtents(
  io: DiskIo,
  staged: StagedIndex,
  extentsDir: string,
  extentSizeBytes: number,
): Promise<{ extents: ExtentSet; report: RecoveryReport; sequence: number }> {
  const t0 = performance.now();
  const index = staged.durable;
  const report: RecoveryReport = {
    extents: 0,
    orphanExtentsRemoved: 0,
    lostExtents: [],
    shortExtents: [],
    rebuiltExtentMeta: [],
    recordsScanned: 0,
    recordsReplayed: 0,
    bytesScanned: 0,
    extentsScanned: 0,
    tailBytesTruncated: 0,
    tailRecordsDropped: 0,
    tornRecordsDropped: 0,
    durationMs: 0,
  };
  const mark = readReplayMark(index);

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
  // A file the index does not know is part of the log when the log reaches
  // it (created at or after the replay mark's extent); before that, it is an
  // extent whose removal was committed but whose unlink was cut short.
  for (const [id, file] of files) {
    if (metas.has(id) || id >= mark.from.extentId) continue;
    await io.unlink(file);
    files.delete(id);
    report.orphanExtentsRemoved++;
  }
  // Every name kept must be durable before anything is appended to it: a
  // rollover whose directory fsync failed may have left a file whose name a
  // crash would still take away (and this also makes the removals durable).
  await io.syncDir(extentsDir);

  let maxId = 0;
  for (const id of [...metas.keys(), ...files.keys()]) maxId = Math.max(maxId, id);
  const set = new ExtentSet(io, extentsDir, extentSizeBytes, Math.max(maxId + 1, mark.from.extentId));
  const sizes = new Map<number, number>();
  for (const id of [...new Set([...metas.keys(), ...files.keys()])].sort((a, b) => a - b)) {
    const meta = metas.get(id) ?? { extentId: id, sealed: false, committedEnd: 0, liveBytes: 0, liveCount: 0 };
    const extent = new Extent(id, path.join(extentsDir, extentFileName(id)), meta);
    set.add(extent);
    if (!metas.has(id) || report.rebuiltExtentMeta.includes(id)) extent.dirty = true;
    if (!files.has(id)) {
      extent.lost = true;
      report.lostExtents.push(id);
      continue;
    }
    const size = await (await set.fileOf(extent)).size();
    sizes.set(id, size);
    if (size < meta.committedEnd) {
      report.shortExtents.push(id);
      seal(extent);
    }
  }

  // Replay, in log order: the pending records (all before `from`), then the log from `from` on.
  const replay = new Replayer(staged, set, report);
  const readers = new Map<number, LogReader>();
  const readerOf = async (e: Extent): Promise<LogReader> => {
    let r = readers.get(e.id);
    if (!r) readers.set(e.id, (r = new LogReader(await set.fileOf(e), e.id, sizes.get(e.id) ?? 0)));
    return r;
  };
  for (const place of dedupe(mark.pending)) {
    const e = set.get(place.extentId);
    if (!e || e.lost || place.offset >= (sizes.get(e.id) ?? 0)) continue;
    await replay.at(await readerOf(e), place.offset);
  }
  const scanEnds = new Map<number, number>();
  for (const e of set.all().sort((a, b) => a.id - b.id)) {
    if (e.lost || e.id < mark.from.extentId) continue;
    const size = sizes.get(e.id) ?? 0;
    let pos = e.id === mark.from.extentId ? mark.from.offset : 0;
    const start = pos;
    const reader = await readerOf(e);
    while (pos < size) {
      const r = await replay.at(reader, pos);
      if (r.status === 'torn') {
        report.tornRecordsDropped++;
        break;
      }
      pos += r.status === 'record' ? r.header.recordLength : r.prefix.recordLength;
    }
    report.bytesScanned += Math.max(0, Math.min(pos, size) - start);
    if (size > start) report.extentsScanned++;
    scanEnds.set(e.id, pos);
  }

  // What the index will point at must be on the disk, not only in the page cache.
  for (const e of replay.rewritten) await (await set.fileOf(e)).datasync();

  // Cut what the log does not vouch for: past the scan's end in the extents
  // it walked; past the committed end (every applied record ends before it)
  // in the others. A recounted end may miss a record whose own entry is
  // damaged: such an extent is left whole.
  for (const e of set.all()) {
    const size = sizes.get(e.id);
    if (size === undefined || e.lost || report.shortExtents.includes(e.id)) continue;
    const keep = Math.max(e.meta.committedEnd, scanEnds.get(e.id) ?? 0);
    if (size > keep && !report.rebuiltExtentMeta.includes(e.id)) {
      const f = await set.fileOf(e);
      await f.truncate(keep);
      await f.datasync();
      report.tailBytesTruncated += size - keep;
      e.reservedEnd = keep;
    } else {
      // A scan may end past the file (a record reserved there never got its
      // bytes): appends go after its reservation all the same.
      e.reservedEnd = Math.max(keep, size);
    }
  }

  // The newest extent the log reached keeps taking appends, unless sealed; every other one is sealed.
  const active = set
    .all()
    .filter((e) => scanEnds.has(e.id) && !e.meta.sealed)
    .sort((a, b) => b.id - a.id)[0];
  for (const e of set.all()) if (e !== active) seal(e);
  if (active) set.active = active;
  report.extents = set.all().length;
  report.durationMs = performance.now() - t0;
  return { extents: set, report, sequence: Math.max(readSequence(index), replay.maxSequence + 1) };
}

/** Applies log records to the staged index, deciding as the live engine did. */
class Replayer {
  maxSequence = -1;
  /** Extents holding rolled-forward records, rewritten in place: synced before the index may point at them. */
  readonly rewritten = new Set<Extent>();

  constructor(
    private readonly staged: StagedIndex,
    private readonly extents: ExtentSet,
    private readonly report: RecoveryReport,
  ) {}

  async at(reader: LogReader, offset: number): Promise<LogRead> {
    const r = await reader.readRecord(offset);
    if (r.status === 'torn') return r;
    if (r.status === 'unfinished') {
      this.maxSequence = Math.max(this.maxSequence, r.prefix.sequence);
      this.report.tailRecordsDropped++;
      return r;
    }
    const h = r.header;
    this.maxSequence = Math.max(this.maxSequence, h.sequence);
    const cur = lookupEntry(this.staged, h.shardId);
    // The index already holds this record's change, or a later one of the same shard.
    if (cur && 'entry' in cur && cur.entry.sequence >= h.sequence) {
      this.report.recordsScanned++;
      return r;
    }
    if (h.kind !== 'delete' && !(await reader.dataVerifies(h))) {
      this.report.tailRecordsDropped++;
      return { status: 'unfinished', prefix: h };
    }
    this.report.recordsScanned++;
    const extent = this.extents.get(reader.extentId)!;
    const plan = new Plan(this.staged, (id) => lookupEntry(this.staged, id));
    try {
      plan.decide(requestOf(h, extent));
    } catch (err) {
      // The same refusal the live engine gave (a conflict, a delete of nothing): no effect.
      if (err instanceof ShardExistsError || err instanceof ShardNotFoundError || err instanceof CorruptionError)
        return r;
      throw err;
    }
    if (plan.applied.length > 0) {
      this.report.recordsReplayed++;
      await reader.rewrite(h.offset, h.recordLength);
      this.rewritten.add(extent);
    }
    stagePlan(plan, this.staged, this.extents);
    return r;
  }
}

function requestOf(h: RecordHeader, extent: Extent): CommitRequest {
  const record = { extent, offset: h.offset, length: h.recordLength };
  if (h.kind === 'delete')
    return { kind: 'delete', shardId: h.shardId, time: h.deletedAt, sequence: h.sequence, record };
  const entry: ShardEntry = {
    state: 'live',
    extentId: h.extentId,
    recordOffset: h.offset,
    headerLength: h.headerLength,
    blockSize: h.blockSize,
    dataLength: h.dataLength,
    sequence: h.sequence,
    time: h.createdAt,
    blockCrcs: h.blockCrcs,
  };
  if (h.kind === 'move') return { kind: 'move', shardId: h.shardId, from: h.movedFrom!, entry, record };
  return { kind: 'put', shardId: h.shardId, entry, record };
}

function seal(e: Extent): void {
  if (e.meta.sealed) return;
  e.meta = { ...e.meta, sealed: true };
  e.dirty = true;
}

function dedupe(places: ReplayMark['pending']): ReplayMark['pending'] {
  const sorted = [...places].sort(comparePlaces);
  return sorted.filter((p, i) => i === 0 || comparePlaces(p, sorted[i - 1]!) !== 0);
}

function readReplayMark(index: IndexStore): ReplayMark {
  const raw = index.get('meta', META_APPLIED_KEY);
  // Without it nobody can tell which records the index lacks; repair rebuilds the disk's shards elsewhere.
  if (!raw) throw new DiskFailedError('the index has no replay mark');
  try {
    return decodeReplayMark(raw);
  } catch (err) {
    if (err instanceof RecordFormatError)
      throw new DiskFailedError(`the index's replay mark is damaged: ${err.message}`);
    throw err;
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
