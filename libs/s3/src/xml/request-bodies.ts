import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../checksums/checksum.js';
import { normalizeEtag } from '../checksums/etag.js';
import { S3Error } from '../errors.js';
import {
  childElements,
  malformedXml,
  MAX_COMPLETE_MULTIPART_XML_BYTES,
  MAX_DELETE_XML_BYTES,
  MAX_SMALL_CONFIG_XML_BYTES,
  parseXmlRequest,
  requiredText,
  xmlText,
} from './xml-request.js';

/** Most keys one DeleteObjects request may name (S3's limit). */
export const MAX_DELETE_OBJECTS = 1000;
/** Part numbers run from 1 to 10,000 (S3's limit). */
export const MAX_PART_NUMBER = 10_000;

export interface CompletedPart {
  partNumber: number;
  /** Without quotes. */
  etag: string;
  /** Checksums the client listed for the part, base64, by algorithm. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/**
 * Parses a CompleteMultipartUpload body: at least one part, part numbers
 * 1–10,000 in ascending order (`InvalidPartOrder` otherwise). A part number
 * listed twice in a row keeps its last entry, as RGW does (ceph/s3-tests'
 * test_multipart_resend_first_finishes_last, not marked as failing on AWS):
 * a client that re-sent a part lists each answer's ETag, and only the last
 * can name the part's current upload.
 */
export function parseCompleteMultipartUpload(body: Uint8Array | string): CompletedPart[] {
  const root = parseXmlRequest(body, 'CompleteMultipartUpload', MAX_COMPLETE_MULTIPART_XML_BYTES, ['Part']);
  const parts = childElements(root, 'Part');
  if (parts.length === 0) throw malformedXml('The CompleteMultipartUpload document lists no parts.');
  const out: CompletedPart[] = [];
  for (const part of parts) {
    const numberText = requiredText(part, 'PartNumber').trim();
    const partNumber = /^\d{1,5}$/.test(numberText) ? Number(numberText) : Number.NaN;
    if (!(partNumber >= 1 && partNumber <= MAX_PART_NUMBER)) {
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
        details: { ArgumentName: 'PartNumber', ArgumentValue: numberText },
      });
    }
    const previous = out.at(-1)?.partNumber ?? 0;
    if (partNumber < previous) throw new S3Error('InvalidPartOrder');
    if (partNumber === previous) out.pop();
    const etag = normalizeEtag(requiredText(part, 'ETag'));
    if (etag === '') throw malformedXml('A part has an empty ETag.');
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const value = xmlText(part[`Checksum${algorithm}`]);
      if (value !== undefined) checksums[algorithm] = value.trim();
    }
    out.push({ partNumber, etag, checksums });
  }
  return out;
}

export interface ObjectToDelete {
  key: string;
  versionId?: string;
}

export interface DeleteObjectsRequest {
  quiet: boolean;
  objects: ObjectToDelete[];
}

/** Parses a DeleteObjects body: 1–1,000 `Object`s, optional `Quiet`. */
export function parseDeleteObjects(body: Uint8Array | string): DeleteObjectsRequest {
  const root = parseXmlRequest(body, 'Delete', MAX_DELETE_XML_BYTES, ['Object']);
  const entries = childElements(root, 'Object');
  if (entries.length === 0 || entries.length > MAX_DELETE_OBJECTS) throw malformedXml();
  const quietText = xmlText(root['Quiet'])?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw malformedXml();
  const objects = entries.map((entry) => {
    const key = requiredText(entry, 'Key');
    const versionId = xmlText(entry['VersionId']);
    return versionId === undefined ? { key } : { key, versionId };
  });
  return { quiet: quietText === 'true', objects };
}

export interface CreateBucketConfiguration {
  locationConstraint?: string;
}

/** Parses an optional CreateBucketConfiguration body; an empty body means no configuration. */
export function parseCreateBucketConfiguration(body: Uint8Array | string): CreateBucketConfiguration {
  const size = typeof body === 'string' ? body.trim().length : body.length;
  if (size === 0) return {};
  const root = parseXmlRequest(body, 'CreateBucketConfiguration', MAX_SMALL_CONFIG_XML_BYTES, []);
  const location = xmlText(root['LocationConstraint'])?.trim();
  return location === undefined || location === '' ? {} : { locationConstraint: location };
}

/** Parses a PutBucketVersioning body: Status Enabled or Suspended (MFA delete is not supported). */
export function parseVersioningConfiguration(body: Uint8Array | string): { status: 'Enabled' | 'Suspended' } {
  const root = parseXmlRequest(body, 'VersioningConfiguration', MAX_SMALL_CONFIG_XML_BYTES, []);
  const status = xmlText(root['Status'])?.trim();
  if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  if (xmlText(root['MfaDelete'])?.trim() === 'Enabled')
    throw new S3Error('NotImplemented', 'MFA delete is not supported.');
  return { status };
}

const OBJECT_OWNERSHIPS = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'] as const;
export type ObjectOwnership = (typeof OBJECT_OWNERSHIPS)[number];

/** Whether a value (from a body or the `x-amz-object-ownership` header) names an Object Ownership setting. */
export function isObjectOwnership(value: string): value is ObjectOwnership {
  return (OBJECT_OWNERSHIPS as readonly string[]).includes(value);
}

/** Parses a PutBucketOwnershipControls body: exactly one Rule with a known ObjectOwnership. */
export function parseOwnershipControls(body: Uint8Array | string): { objectOwnership: ObjectOwnership } {
  const root = parseXmlRequest(body, 'OwnershipControls', MAX_SMALL_CONFIG_XML_BYTES, ['Rule']);
  const rules = childElements(root, 'Rule');
  if (rules.length !== 1) throw malformedXml('OwnershipControls takes exactly one Rule.');
  const ownership = xmlText(rules[0]!['ObjectOwnership'])?.trim();
  if (ownership === undefined || !isObjectOwnership(ownership)) throw malformedXml();
  return { objectOwnership: ownership };
}
