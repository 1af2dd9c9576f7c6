import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ShardStoreError } from '../errors.js';
import { locationRange, parseLocationKey, type ShardEntry } from '../format/index-entry.js';
import type { IndexReader } from '../index/staged-index.js';
import { lookupEntry, recordLengthOf } from './commit-batch.js';
import type { Extent, ExtentSet } from './extent-set.js';

// Compaction copies the live records of a mostly-dead sealed extent to the
// active extent, one record at a time through the ordinary write path and
// group commit (so foreground writes interleave) as move records, then
// removes the extent from the index in one commit — made durable in the index
// itself before anything else happens, with every change decided before it —
// and deletes its file once no reader holds it. Nothing is deleted before its
// copy is durable, and no extent is deleted while the log replay could still
// need it.

/** Location entries read from the index per step. */
const LOCATION_PAGE = 256;

export interface CompactionOptions {
  signal?: AbortSignal;
  /** Stop after this many extents (default: all candidates). */
  maxExtents?: number;
}

export interface CompactionReport {
  extentsExamined: number;
  extentsRemoved: number;
  recordsCopied: number;
  bytesCopied: number;
  bytesReclaimed: number;
  /** Extents left in place, and why (a damaged record cannot be copied: repair must replace it first). */
  skipped: Array<{ extentId: number; reason: string }>;
}

export interface CompactionHost {
  readonly extents: ExtentSet;
  /** The index as readers see it (staged changes included). */
  readonly index: IndexReader;
  /** Copies one live record out of `from`; false when the shard changed meanwhile. */
  copyRecord(shardId: string, entry: ShardEntry, from: Extent): Promise<boolean>;
  /** Commits the removal of `extent` from the index; the file goes after. */
  dropExtent(extent: Extent): Promise<void>;
}

export function compactionCandidates(extents: ExtentSet, liveRatio: number): Extent[] {
  return extents
    .all()
    .filter((e) => e.meta.sealed && !e.lost && !e.removed && !e.dropped && e !== extents.active && e.inflight === 0)
    .filter((e) => e.meta.committedEnd === 0 || e.meta.liveBytes / e.meta.committedEnd < liveRatio)
    .sort(
      (a, b) =>
        a.meta.liveBytes / Math.max(1, a.meta.committedEnd) - b.meta.liveBytes / Math.max(1, b.meta.committedEnd),
    );
}

export async function compactExtents(
  host: CompactionHost,
  liveRatio: number,
  options: CompactionOptions = {},
): Promise<CompactionReport> {
  const report: CompactionReport = {
    extentsExamined: 0,
    extentsRemoved: 0,
    recordsCopied: 0,
    bytesCopied: 0,
    bytesReclaimed: 0,
    skipped: [],
  };
  const candidates = compactionCandidates(host.extents, liveRatio).slice(0, options.maxExtents ?? Infinity);
  for (const extent of candidates) {
    if (options.signal?.aborted) break;
    report.extentsExamined++;
    const reason = await evacuate(host, extent, report, options.signal);
    if (reason) {
      report.skipped.push({ extentId: extent.id, reason });
      continue;
    }
    const size = extent.meta.committedEnd;
    await host.dropExtent(extent);
    report.extentsRemoved++;
    report.bytesReclaimed += size;
  }
  return report;
}

/** Copies every live record out; returns why not, if it could not. */
async function evacuate(
  host: CompactionHost,
  extent: Extent,
  report: CompactionReport,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const { start, end } = locationRange(extent.id);
  let after: string | undefined;
  for (;;) {
    const page = host.index.range(
      'locations',
      after === undefined ? { start, end, limit: LOCATION_PAGE } : { after, end, limit: LOCATION_PAGE },
    );
    if (page.length === 0) return undefined;
    for (const [key, idBytes] of page) {
      after = key;
      if (signal?.aborted) return 'aborted';
      const loc = parseLocationKey(key);
      const shardId = Buffer.from(idBytes).toString('utf8');
      const found = lookupEntry(host.index, shardId);
      if (!loc || !found) continue;
      if ('corrupt' in found) return `index entry of ${shardId} is damaged`;
      const e = found.entry;
      if (e.state !== 'live' || e.extentId !== extent.id || e.recordOffset !== loc.offset) continue;
      try {
        if (await host.copyRecord(shardId, e, extent)) {
          report.recordsCopied++;
          report.bytesCopied += recordLengthOf(e);
        }
      } catch (err) {
        if (err instanceof ShardStoreError) return `${shardId}: ${err.message}`;
        throw err;
      }
      // Let foreground work run between records.
      await yieldToLoop();
    }
  }
}
