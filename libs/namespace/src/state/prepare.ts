import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { u64be, utf8 } from '@platter/namespace-client';
import { decodeWriteId, encodeWriteId } from '../encoding/records.js';
import { writeIdKey, writeIdSeqKey } from '../encoding/table-keys.js';
import { NamespaceError } from '../errors.js';
import { makeJournalEntry, type JournalEntry } from '../journal/journal-entry.js';
import type { PartitionStore } from '../store/partition-store.js';
import { createBucket, deleteBucket, setBucketVersioning } from './bucket-ops.js';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, registerPart } from './multipart-ops.js';
import { MutationSet } from './mutation-set.js';
import { ObjectIndex } from './object-index.js';
import { deleteObject, putObject } from './object-ops.js';
import { OP_CODES, RESPONSE_SCHEMAS, type OpOf, type OpResponse, type OpType } from './ops.js';
import { nowTimestamp, type OpHandler, type StateMachineLimits } from './prepare-scope.js';
import { updateShardLocation } from './shard-ops.js';
import { checkWriteId } from './validation.js';
import { messageCodec } from '@platter/rpc';

const HANDLERS: { readonly [T in OpType]: OpHandler<T> } = {
  createBucket,
  deleteBucket,
  setBucketVersioning,
  putObject,
  deleteObject,
  createMultipartUpload,
  registerPart,
  completeMultipartUpload,
  abortMultipartUpload,
  updateShardLocation,
};

/** What the head decided about one request. */
export type Prepared<R> =
  /** A new journal entry to apply (and replicate); `response` is the client's answer once it commits. */
  | { kind: 'entry'; entry: JournalEntry; response: R }
  /** A retry of a write_id already journaled at `sequence`: answer `response` once that sequence commits. */
  | { kind: 'duplicate'; sequence: bigint; response: R }
  /** Refused; nothing to journal. */
  | { kind: 'rejected'; error: NamespaceError };

export interface PrepareOptions {
  /** The chain epoch this head acts in; stamped into the entry. */
  epoch: bigint;
  /** The head's wall clock in ms (Last-Modified); informational only. */
  nowMs: number;
  limits: StateMachineLimits;
  /**
   * The state machine's long-lived index over the same store, so its decoded
   * bucket records survive from one request to the next (a fresh index per
   * request decoded the bucket's protobuf on every write). Its cache is keyed
   * by the record's exact bytes, so sharing it is never stale.
   */
  index?: ObjectIndex;
}

/**
 * Evaluates one client mutation against the store's current state (inside a
 * write transaction: the batch's earlier entries included) and turns it into
 * a physical journal entry. Pure with respect to the store: it only reads.
 * The entry carries the write_id record, so a retry finds the first outcome.
 */
export function prepareOp<T extends OpType>(
  store: PartitionStore,
  op: OpOf<T>,
  options: PrepareOptions,
): Prepared<OpResponse<T>> {
  const type = op.type as T;
  const request = op.request as OpOf<T>['request'] & { writeId: string };
  const badWriteId = checkWriteId(request.writeId);
  if (badWriteId) return { kind: 'rejected', error: badWriteId };
  const schema = RESPONSE_SCHEMAS[type] as GenMessage<OpResponse<T>>;

  const seen = store.get('write_ids', writeIdKey(request.writeId));
  if (seen !== undefined) {
    const record = decodeWriteId(seen);
    if (record.opCode !== OP_CODES[type]) {
      return {
        kind: 'rejected',
        error: new NamespaceError('WRITE_ID_REUSED', 'write_id was used for another mutation', {
          resource: request.writeId,
        }),
      };
    }
    return { kind: 'duplicate', sequence: record.sequence, response: messageCodec(schema).decode(record.response) };
  }

  const applied = store.applied();
  if (options.epoch < applied.epoch) {
    return {
      kind: 'rejected',
      error: new NamespaceError('STALE_EPOCH', `acting in epoch ${options.epoch} after ${applied.epoch}`, {
        currentEpoch: applied.epoch,
      }),
    };
  }
  const sequence = applied.sequence + 1n;
  const mutations = new MutationSet();
  const handler = HANDLERS[type];
  const result = handler(
    {
      store,
      index: options.index ?? new ObjectIndex(store),
      sequence,
      now: nowTimestamp(options.nowMs),
      limits: options.limits,
      mutations,
    },
    request,
  );
  if (result instanceof NamespaceError) return { kind: 'rejected', error: result };
  const response = result as OpResponse<T>;
  mutations.put(
    'write_ids',
    writeIdKey(request.writeId),
    encodeWriteId({ opCode: OP_CODES[type], sequence, response: messageCodec(schema).encode(response) }),
  );
  mutations.put('write_id_seqs', writeIdSeqKey(sequence), utf8(request.writeId));
  return { kind: 'entry', entry: makeJournalEntry(sequence, options.epoch, mutations.list()), response };
}

/**
 * Forgets write ids recorded at or below `throughSequence` (at most `limit`),
 * once they are older than any retry could be. Journaled like any change, so
 * every replica forgets the same ones; undefined when there is nothing to do.
 */
export function prepareWriteIdExpiry(
  store: PartitionStore,
  throughSequence: bigint,
  limit: number,
  epoch: bigint,
): JournalEntry | NamespaceError | undefined {
  const applied = store.applied();
  if (epoch < applied.epoch) {
    return new NamespaceError('STALE_EPOCH', `acting in epoch ${epoch} after ${applied.epoch}`, {
      currentEpoch: applied.epoch,
    });
  }
  const mutations = new MutationSet();
  for (const row of store.range('write_id_seqs', { end: u64be(throughSequence + 1n), limit })) {
    mutations.delete('write_id_seqs', row.key);
    mutations.delete('write_ids', row.value);
  }
  if (mutations.size === 0) return undefined;
  return makeJournalEntry(applied.sequence + 1n, epoch, mutations.list());
}
