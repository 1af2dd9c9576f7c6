import { create } from '@bufbuild/protobuf';
import { commonV1, namespaceV1 } from '@platter/proto';
import { encodePart, encodeVersion } from '../encoding/records.js';
import { partKey, versionKey } from '../encoding/table-keys.js';
import { NamespaceError, invalidArgument } from '../errors.js';
import { noSuchBucket } from './bucket-access.js';
import { resolvePart } from './part-resolver.js';
import type { OpHandler } from './prepare-scope.js';
import { uploadOwner, versionOwner } from '../encoding/disk-shard-record.js';
import { indexShard, sameLocation, takenShard, unindexShard } from './shard-index.js';
import { checkBucketAndKey, checkShardLocation } from './validation.js';

/**
 * Compare-and-set of one shard slot (repair, moves): succeeds when the slot
 * holds `expected` (or nothing, when expected is unset), or already holds the
 * replacement (a retry); otherwise LOCATION_CHANGED. The record and the disk
 * index change in the same entry.
 */
export const updateShardLocation: OpHandler<'updateShardLocation'> = (scope, request) => {
  const ref = request.shard?.part;
  const replacement = request.replacement;
  if (ref === undefined || request.shard === undefined) return invalidArgument('shard slot is required');
  if (replacement === undefined) return invalidArgument('replacement location is required');
  const slot = request.shard.shardIndex;
  if (replacement.shardIndex !== slot) return invalidArgument('replacement is for another shard index');
  const bad = checkBucketAndKey(ref.bucket, ref.key);
  if (bad) return bad;
  if (!scope.index.bucket(ref.bucket)) return noSuchBucket(ref.bucket);
  const resolved = resolvePart(scope.index, ref);
  if (resolved instanceof NamespaceError) return resolved;
  const part = resolved.part;
  const scheme = part.scheme;
  const width = scheme === undefined ? 0 : scheme.dataShards + scheme.parityShards;
  const badLocation = checkShardLocation(replacement, width);
  if (badLocation) return badLocation;

  const current = part.shards.find((s) => s.shardIndex === slot);
  if (current !== undefined && sameLocation(current, replacement)) {
    return create(namespaceV1.UpdateShardLocationResponseSchema, { part });
  }
  const expected = request.expected;
  const matches =
    expected === undefined ? current === undefined : current !== undefined && sameLocation(current, expected);
  if (!matches) {
    return new NamespaceError('LOCATION_CHANGED', 'the slot holds another location', {
      resource: current?.shardId ?? '',
    });
  }
  const shards = part.shards.filter((s) => s.shardIndex !== slot);
  shards.push(replacement);
  shards.sort((a, b) => a.shardIndex - b.shardIndex);
  const updated = create(commonV1.PartLayoutSchema, { ...part, shards });

  if (current !== undefined) unindexShard(scope.mutations, current);
  const taken = takenShard(scope.store, scope.mutations, [replacement]);
  if (taken) return taken;
  const owner =
    resolved.kind === 'version'
      ? versionOwner(ref.bucket, ref.key, resolved.version.versionId, resolved.row.sequence)
      : uploadOwner(ref.bucket, ref.key, resolved.upload.sequence);
  indexShard(scope.mutations, owner, part.partNumber, replacement, part.shardLength);
  if (resolved.kind === 'version') {
    const version = resolved.version;
    const layout = version.layout?.data;
    if (layout?.case !== 'striped') return invalidArgument('version has no striped layout');
    const parts = layout.value.parts.map((p) => (p.partNumber === part.partNumber ? updated : p));
    const changed = create(namespaceV1.ObjectVersionSchema, {
      ...version,
      layout: create(commonV1.ObjectLayoutSchema, {
        data: { case: 'striped', value: create(commonV1.StripedLayoutSchema, { parts }) },
      }),
    });
    scope.mutations.put('versions', versionKey(ref.bucket, ref.key, resolved.row.sequence), encodeVersion(changed));
  } else {
    const uploaded = create(namespaceV1.UploadedPartSchema, { ...resolved.uploaded, part: updated });
    scope.mutations.put('parts', partKey(resolved.upload.sequence, part.partNumber), encodePart(uploaded));
  }
  return create(namespaceV1.UpdateShardLocationResponseSchema, { part: updated });
};
