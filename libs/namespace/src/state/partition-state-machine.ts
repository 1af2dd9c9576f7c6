import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { NamespaceError, invalidArgument } from '../errors.js';
import type { JournalEntry } from '../journal/journal-entry.js';
import { LIST_START, afterMarker, decodeContinuationToken, encodeContinuationToken } from '@platter/namespace-client';
import type { PartitionStore } from '../store/partition-store.js';
import { checkChainEpoch } from './epoch-fence.js';
import { GroupCommitter } from './group-committer.js';
import { listObjectsPage } from './list-objects.js';
import { listMultipartUploadsPage, listObjectVersionsPage } from './list-versions.js';
import { ObjectIndex } from './object-index.js';
import type { OpOf, OpResponse, OpType, NamespaceOp } from './ops.js';
import {
  MAX_S3_PAGE_SIZE,
  getBucket,
  getObject,
  getPartLayout,
  listBuckets,
  listDiskShards,
  listParts,
  pageSize,
} from './point-reads.js';
import { prepareOp, prepareWriteIdExpiry, type PrepareOptions, type Prepared } from './prepare.js';
import type { StateMachineLimits } from './prepare-scope.js';
import { checkBucketName } from './validation.js';

// Bytes an object may have and still live inline in its record (replicated
// by the chain with every write, so kept small); the cluster config may lower
// or raise it.
export const DEFAULT_INLINE_THRESHOLD_BYTES = 4096;
// Requests per LMDB transaction: bounds how long one commit holds the write
// lock and how much a single failing batch can take down.
export const DEFAULT_MAX_BATCH = 256;

export interface PartitionStateMachineOptions {
  store: PartitionStore;
  /** The chain epoch this replica acts in (from etcd); entries it makes carry it. */
  chainEpoch?: bigint;
  /** Wall clock in ms for Last-Modified; informational, never used for order. */
  clock?: () => number;
  inlineThresholdBytes?: number;
  /** 0 (the default): the frontend checks S3's minimum part size. */
  minPartSizeBytes?: number;
  maxBatch?: number;
}

/** A mutation that committed (durably at this replica): its answer and the entry that carries it. */
export interface Committed<R> {
  /** The sequence whose commit makes the answer final (the first attempt's, for a retry). */
  sequence: bigint;
  response: R;
  /** True when this was a retry of a write_id already journaled. */
  duplicate: boolean;
  /** The new entry, to forward down the chain; absent for a retry. */
  entry?: JournalEntry;
}

export interface ApplyResult {
  /** The last sequence applied and flushed here. */
  durableSequence: bigint;
  applied: number;
  /** Why application stopped early (the entries before it are applied). */
  error?: NamespaceError;
}

type BatchOutcome = Prepared<unknown> | { kind: 'failed'; error: unknown };

/**
 * One namespace partition as a deterministic state machine over a
 * PartitionStore. At the head, execute() evaluates a request against the
 * current state (conditions, bucket existence, ...) and, if accepted, turns
 * it into a physical journal entry that it applies at once; concurrent
 * requests share one transaction and one flush (group commit). Other replicas
 * call apply() with the same entries and end up byte-identical. Reads serve
 * the replica's committed state.
 */
export class PartitionStateMachine {
  readonly store: PartitionStore;
  private readonly index: ObjectIndex;
  private readonly clock: () => number;
  private readonly limits: StateMachineLimits;
  private readonly committer: GroupCommitter<NamespaceOp, BatchOutcome>;
  private epoch: bigint;
  private transactionMs = 0;

  constructor(options: PartitionStateMachineOptions) {
    this.store = options.store;
    this.index = new ObjectIndex(options.store);
    this.clock = options.clock ?? Date.now;
    this.epoch = options.chainEpoch ?? 0n;
    this.limits = {
      inlineThresholdBytes: options.inlineThresholdBytes ?? DEFAULT_INLINE_THRESHOLD_BYTES,
      minPartSizeBytes: options.minPartSizeBytes ?? 0,
    };
    this.committer = new GroupCommitter((ops) => this.commitBatch(ops), options.maxBatch ?? DEFAULT_MAX_BATCH);
  }

  get chainEpoch(): bigint {
    return this.epoch;
  }

  /** Moves to a new chain configuration (never back: a replica that saw epoch n refuses n-1). */
  setChainEpoch(epoch: bigint): void {
    if (epoch < this.epoch) throw new RangeError(`chain epoch ${epoch} is older than ${this.epoch}`);
    this.epoch = epoch;
  }

  /** The fence every NamespaceService call passes first (namespace.proto, PartitionRoute). */
  checkRoute(route: namespaceV1.PartitionRoute | undefined): NamespaceError | undefined {
    return checkChainEpoch(this.epoch, route?.chainEpoch ?? 0n);
  }

  // ---------------------------------------------------------------- writes

  /**
   * Evaluates a request against the committed state without changing
   * anything: the entry it would make, a retry's first answer, or the error.
   */
  prepare<T extends OpType>(op: OpOf<T>): Prepared<OpResponse<T>> {
    return prepareOp(this.store, op, this.prepareOptions());
  }

  /**
   * Head: prepares and applies a request, durably (flushed) before resolving.
   * A refusal resolves to its NamespaceError; a failure of the store rejects.
   */
  async execute<T extends OpType>(op: OpOf<T>): Promise<Committed<OpResponse<T>> | NamespaceError> {
    const outcome = await this.committer.submit(op);
    switch (outcome.kind) {
      case 'failed':
        throw outcome.error;
      case 'rejected':
        return outcome.error;
      case 'duplicate':
        return { sequence: outcome.sequence, response: outcome.response as OpResponse<T>, duplicate: true };
      case 'entry':
        return {
          sequence: outcome.entry.sequence,
          response: outcome.response as OpResponse<T>,
          duplicate: false,
          entry: outcome.entry,
        };
    }
  }

  /**
   * Other replicas: applies entries in sequence order in one transaction and
   * flushes. Entries already applied are skipped (after checking they are
   * ours); a gap, a stale epoch or an unknown format stops application there.
   * `rows[i]`, when given, is the journal row entries[i] was decoded from.
   */
  async apply(entries: readonly JournalEntry[], rows?: readonly Buffer[]): Promise<ApplyResult> {
    if (rows !== undefined && rows.length !== entries.length) throw new Error('one row per entry');
    return this.store.write(() => {
      let applied = 0;
      for (const [i, entry] of entries.entries()) {
        try {
          // applyEntry checks everything before it writes; a throw after
          // that is a store failure and rolls back the whole batch.
          if (this.store.applyEntry(entry, rows?.[i]) === 'applied') applied++;
        } catch (error) {
          if (!(error instanceof NamespaceError)) throw error;
          return { durableSequence: this.store.applied().sequence, applied, error };
        }
      }
      return { durableSequence: this.store.applied().sequence, applied };
    });
  }

  /**
   * Forgets write ids journaled at or below `throughSequence` (at most
   * `limit`); the service calls it for ids older than the retention window.
   * Returns the entry made, if there was anything to forget.
   */
  async expireWriteIds(throughSequence: bigint, limit: number): Promise<JournalEntry | undefined> {
    return this.store.write(() => {
      const entry = prepareWriteIdExpiry(this.store, throughSequence, limit, this.epoch);
      if (entry instanceof NamespaceError) throw entry;
      if (entry !== undefined) this.store.applyEntry(entry);
      return entry;
    });
  }

  /**
   * Requests batched so far, and the time spent preparing and applying them
   * inside transactions (for metrics: mean batch size, CPU per commit).
   */
  commitStats(): { batches: number; items: number; transactionMs: number } {
    return { ...this.committer.stats(), transactionMs: this.transactionMs };
  }

  private prepareOptions(): PrepareOptions {
    return { epoch: this.epoch, nowMs: this.clock(), limits: this.limits, index: this.index };
  }

  /**
   * One transaction for a batch. Preparing only reads, so a request whose
   * preparation throws (a bug, a damaged record) fails alone; applying is
   * checked before it writes, so a throw there is a store failure, and the
   * whole batch is rolled back and fails (a nested transaction per request
   * would isolate it, at ~15% of a commit's CPU).
   */
  private commitBatch(ops: NamespaceOp[]): Promise<BatchOutcome[]> {
    return this.store.write(() => {
      const started = performance.now();
      const outcomes = ops.map((op): BatchOutcome => {
        let prepared: Prepared<unknown>;
        try {
          prepared = prepareOp(this.store, op, this.prepareOptions());
        } catch (error) {
          return { kind: 'failed', error };
        }
        if (prepared.kind === 'entry') this.store.applyEntry(prepared.entry);
        return prepared;
      });
      this.transactionMs += performance.now() - started;
      return outcomes;
    });
  }

  // ---------------------------------------------------------------- reads

  getBucket(name: string): namespaceV1.Bucket | NamespaceError {
    return getBucket(this.index, name);
  }

  listBuckets(request: namespaceV1.ListBucketsRequest): namespaceV1.ListBucketsResponse | NamespaceError {
    return listBuckets(this.store, request);
  }

  getObject(request: namespaceV1.GetObjectRequest): namespaceV1.ObjectVersion | NamespaceError {
    return getObject(this.index, request);
  }

  /**
   * ListObjects (v1 and v2) over this partition's keys. The token encodes
   * where the page stopped; mergeListObjectsPages combines partitions' pages
   * carrying the same kind of token.
   */
  listObjects(
    request: namespaceV1.ListObjectsRequest,
    options: { scanBudgetRows?: number } = {},
  ): namespaceV1.ListObjectsResponse | NamespaceError {
    const { bucket, prefix, delimiter } = request;
    const bad = checkBucketName(bucket);
    if (bad) return bad;
    if (!this.index.bucket(bucket)) return new NamespaceError('NO_SUCH_BUCKET', 'no such bucket', { resource: bucket });
    let from = request.startAfter === '' ? LIST_START : afterMarker(request.startAfter);
    if (request.continuationToken !== '') {
      const position = decodeContinuationToken(request.continuationToken, request);
      if (position === undefined) return invalidArgument('bad continuation token', bucket);
      from = position;
    }
    const page = listObjectsPage(this.store, {
      bucket,
      prefix,
      delimiter,
      from,
      maxKeys: pageSize(request.maxKeys, MAX_S3_PAGE_SIZE),
      scanBudgetRows: options.scanBudgetRows,
    });
    return create(namespaceV1.ListObjectsResponseSchema, {
      objects: page.objects,
      commonPrefixes: page.commonPrefixes,
      isTruncated: page.next !== undefined,
      nextContinuationToken: page.next === undefined ? '' : encodeContinuationToken(page.next, request),
    });
  }

  listObjectVersions(
    request: namespaceV1.ListObjectVersionsRequest,
  ): namespaceV1.ListObjectVersionsResponse | NamespaceError {
    const bad = checkBucketName(request.bucket);
    if (bad) return bad;
    if (!this.index.bucket(request.bucket)) {
      return new NamespaceError('NO_SUCH_BUCKET', 'no such bucket', { resource: request.bucket });
    }
    return listObjectVersionsPage(this.store, this.index, request, pageSize(request.maxKeys, MAX_S3_PAGE_SIZE));
  }

  listMultipartUploads(
    request: namespaceV1.ListMultipartUploadsRequest,
  ): namespaceV1.ListMultipartUploadsResponse | NamespaceError {
    const bad = checkBucketName(request.bucket);
    if (bad) return bad;
    if (!this.index.bucket(request.bucket)) {
      return new NamespaceError('NO_SUCH_BUCKET', 'no such bucket', { resource: request.bucket });
    }
    return listMultipartUploadsPage(this.store, request, pageSize(request.maxUploads, MAX_S3_PAGE_SIZE));
  }

  listParts(request: namespaceV1.ListPartsRequest): namespaceV1.ListPartsResponse | NamespaceError {
    return listParts(this.index, request);
  }

  listDiskShards(request: namespaceV1.ListDiskShardsRequest): namespaceV1.ListDiskShardsResponse | NamespaceError {
    return listDiskShards(this.store, this.index, request);
  }

  getPartLayout(ref: commonV1.PartRef | undefined): commonV1.PartLayout | NamespaceError {
    return getPartLayout(this.index, ref);
  }
}
