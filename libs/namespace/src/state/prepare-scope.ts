import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import type { NamespaceError } from '../errors.js';
import type { PartitionStore } from '../store/partition-store.js';
import type { MutationSet } from './mutation-set.js';
import type { ObjectIndex } from './object-index.js';
import type { OpRequest, OpResponse, OpType } from './ops.js';

export interface StateMachineLimits {
  /** Largest object whose bytes may be stored inline in its record, in bytes. */
  inlineThresholdBytes: number;
  /** Smallest part but the last in CompleteMultipartUpload, in bytes; 0 leaves the check to the frontend. */
  minPartSizeBytes: number;
}

/** What a request handler sees at the head: the state so far and where to put its changes. */
export interface PrepareScope {
  readonly store: PartitionStore;
  readonly index: ObjectIndex;
  /** The sequence the entry will get; ids minted by this request derive from it. */
  readonly sequence: bigint;
  /** The head's wall clock, for Last-Modified and similar; never used to order anything. */
  readonly now: Timestamp;
  readonly limits: StateMachineLimits;
  readonly mutations: MutationSet;
}

/** Evaluates one request: its response (its changes are in scope.mutations), or why it is refused. */
export type OpHandler<T extends OpType> = (
  scope: PrepareScope,
  request: OpRequest<T>,
) => OpResponse<T> | NamespaceError;

export function nowTimestamp(nowMs: number): Timestamp {
  return timestampFromMs(nowMs);
}
