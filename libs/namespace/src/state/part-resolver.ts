import { commonV1, namespaceV1 } from '@platter/proto';
import { NamespaceError, invalidArgument } from '../errors.js';
import type { ObjectIndex, StoredUpload, VersionRow } from './object-index.js';

/** Where a part named by a PartRef lives now. */
export type ResolvedPart =
  | { kind: 'version'; row: VersionRow; version: namespaceV1.ObjectVersion; part: commonV1.PartLayout }
  | { kind: 'upload'; upload: StoredUpload; uploaded: namespaceV1.UploadedPart; part: commonV1.PartLayout };

/**
 * Finds the part a PartRef names: a committed version's striped part, or an
 * in-progress upload's registered part. NOT_FOUND when any of it is gone
 * (the caller, repair, then drops its new copy).
 */
export function resolvePart(index: ObjectIndex, ref: commonV1.PartRef | undefined): ResolvedPart | NamespaceError {
  if (ref === undefined) return invalidArgument('part reference is required');
  const { bucket, key, owner, partNumber } = ref;
  if (owner.case === 'versionId') {
    const row = index.version(bucket, key, owner.value);
    if (row === 'malformed') return invalidArgument('invalid version id', owner.value);
    if (row === undefined) return noSuchPart('NO_SUCH_VERSION', owner.value);
    const version = index.decode(row, true);
    const layout = version.layout?.data;
    const part = layout?.case === 'striped' ? layout.value.parts.find((p) => p.partNumber === partNumber) : undefined;
    if (part === undefined) return noSuchPart('NO_SUCH_VERSION', `${owner.value} part ${partNumber}`);
    return { kind: 'version', row, version, part };
  }
  if (owner.case === 'uploadId') {
    const upload = index.upload(bucket, key, owner.value);
    if (upload === undefined) return noSuchPart('NO_SUCH_UPLOAD', owner.value);
    const uploaded = index.part(upload.sequence, partNumber);
    if (uploaded?.part === undefined) return noSuchPart('NO_SUCH_UPLOAD', `${owner.value} part ${partNumber}`);
    return { kind: 'upload', upload, uploaded, part: uploaded.part };
  }
  return invalidArgument('part reference names neither a version nor an upload');
}

function noSuchPart(code: 'NO_SUCH_VERSION' | 'NO_SUCH_UPLOAD', resource: string): NamespaceError {
  return new NamespaceError(code, 'the part is gone', { resource });
}
