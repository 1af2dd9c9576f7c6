import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { NULL_VERSION_ID, idFromSequence } from '../encoding/ids.js';
import { decodeVersion, encodeVersion } from '../encoding/records.js';
import { objectPrefix, versionKey } from '../encoding/table-keys.js';
import { u64be } from '@platter/namespace-client';
import { NamespaceError } from '../errors.js';
import type { PrepareScope } from './prepare-scope.js';
import { versionOwner } from '../encoding/disk-shard-record.js';
import { indexLayout, layoutShards, takenShard, unindexLayout } from './shard-index.js';

const VS = namespaceV1.VersioningState;
const CK = namespaceV1.ConditionKind;

/** Whether new writes in a bucket in this state replace the "null" version (rather than add a version). */
export function writesNullVersion(versioning: namespaceV1.VersioningState): boolean {
  return versioning !== VS.ENABLED;
}

/**
 * Checks a write condition against the key's current version, at the head,
 * atomically with the write (the linearization point).
 */
export function checkKeyCondition(
  scope: PrepareScope,
  bucket: string,
  key: string,
  condition: namespaceV1.WriteCondition | undefined,
): NamespaceError | undefined {
  const kind = condition?.kind ?? CK.UNSPECIFIED;
  if (kind === CK.UNSPECIFIED) return undefined;
  const current = scope.index.current(bucket, key);
  if (kind === CK.IF_NONE_MATCH_ANY) {
    return current ? preconditionFailed(key) : undefined;
  }
  if (!current) return new NamespaceError('NO_SUCH_KEY', 'no current version to match', { resource: key });
  return etagMatches(condition?.etag ?? '', current.version.etag) ? undefined : preconditionFailed(key);
}

export function etagMatches(wanted: string, actual: string): boolean {
  return wanted === '*' || wanted === actual;
}

export function preconditionFailed(key: string): NamespaceError {
  return new NamespaceError('PRECONDITION_FAILED', 'the condition did not hold', { resource: key });
}

/** Removes one version row and everything that points at it (null pointer, disk index rows). */
export function removeVersion(
  scope: PrepareScope,
  bucket: string,
  key: string,
  sequence: bigint,
  record: Buffer,
): void {
  const version = decodeVersion(record);
  unindexLayout(scope.mutations, version.layout);
  scope.mutations.delete('versions', versionKey(bucket, key, sequence));
  if (version.versionId === NULL_VERSION_ID) scope.mutations.delete('null_versions', objectPrefix(bucket, key));
}

export interface WrittenVersion {
  /** As stored, layout included. */
  version: namespaceV1.ObjectVersion;
  /** "null" when this write replaced the null version; empty otherwise. */
  replacedVersionId: string;
}

/**
 * Adds a version (object or delete marker) as the key's newest, the way the
 * bucket's versioning state wants it: ENABLED mints a version id from the
 * sequence; otherwise it is the "null" version and replaces any earlier one.
 */
export function writeVersion(
  scope: PrepareScope,
  versioning: namespaceV1.VersioningState,
  fields: Omit<namespaceV1.ObjectVersion, '$typeName' | 'versionId' | 'sequence' | 'isLatest' | 'createdAt'>,
): WrittenVersion | NamespaceError {
  const { bucket, key } = fields;
  let versionId = idFromSequence(scope.sequence);
  let replacedVersionId = '';
  if (writesNullVersion(versioning)) {
    versionId = NULL_VERSION_ID;
    const previous = scope.index.nullSequence(bucket, key);
    if (previous !== undefined) {
      const row = scope.index.versionRow(bucket, key, previous);
      if (row) removeVersion(scope, bucket, key, previous, row.record);
      replacedVersionId = NULL_VERSION_ID;
    }
    scope.mutations.put('null_versions', objectPrefix(bucket, key), u64be(scope.sequence));
  }
  const taken = takenShard(scope.store, scope.mutations, layoutShards(fields.layout));
  if (taken) return taken;
  const version = create(namespaceV1.ObjectVersionSchema, {
    ...fields,
    versionId,
    sequence: scope.sequence,
    createdAt: scope.now,
  });
  scope.mutations.put('versions', versionKey(bucket, key, scope.sequence), encodeVersion(version));
  indexLayout(scope.mutations, version.layout, versionOwner(bucket, key, versionId, scope.sequence));
  return { version, replacedVersionId };
}

/** A version as responses carry it: latest, without its layout. */
export function committedView(version: namespaceV1.ObjectVersion): namespaceV1.ObjectVersion {
  return create(namespaceV1.ObjectVersionSchema, { ...version, layout: undefined, isLatest: true });
}
