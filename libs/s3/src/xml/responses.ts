import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../checksums/checksum.js';
import { awsUriEncode } from '../sigv4/uri-encoding.js';
import { optionalText, S3_XMLNS, type XmlChild, XmlNode, xmlDocument } from './xml-writer.js';

/** `encoding-type` of list requests: only `url` exists. */
export type EncodingType = 'url';

export interface Owner {
  id: string;
  displayName?: string;
}

/** Additional checksums of an object or part, base64, by algorithm. */
export type Checksums = Partial<Record<ChecksumAlgorithm, string>>;

/** `FULL_OBJECT` or `COMPOSITE` (multipart checksums). */
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

const root = (name: string, children: readonly XmlChild[]): string =>
  xmlDocument(XmlNode.element(name, children, { xmlns: S3_XMLNS }));

const timestamp = (date: Date): string => date.toISOString();

/**
 * Encodes a listed name for `encoding-type=url`: every byte but unreserved
 * characters and `/` percent-encoded (space as `%20`, which both `unquote`
 * and `unquote_plus` style decoders read back as a space).
 */
export function urlEncodeListName(name: string): string {
  return awsUriEncode(name, true);
}

function listName(name: string, encoding: EncodingType | undefined): string {
  return encoding === 'url' ? urlEncodeListName(name) : name;
}

function ownerNode(tag: string, owner: Owner | undefined): XmlNode | undefined {
  if (!owner) return undefined;
  return XmlNode.element(tag, [XmlNode.text('ID', owner.id), optionalText('DisplayName', owner.displayName)]);
}

function checksumNodes(checksums: Checksums | undefined): XmlNode[] {
  if (!checksums) return [];
  const out: XmlNode[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = checksums[algorithm];
    if (value !== undefined) out.push(XmlNode.text(`Checksum${algorithm}`, value));
  }
  return out;
}

export interface BucketEntry {
  name: string;
  creationDate: Date;
  region?: string;
}

export interface ListAllMyBucketsInput {
  owner?: Owner;
  buckets: readonly BucketEntry[];
  continuationToken?: string;
  prefix?: string;
}

export function listAllMyBucketsXml(input: ListAllMyBucketsInput): string {
  return root('ListAllMyBucketsResult', [
    ownerNode('Owner', input.owner),
    XmlNode.element(
      'Buckets',
      input.buckets.map((b) =>
        XmlNode.element('Bucket', [
          XmlNode.text('Name', b.name),
          XmlNode.text('CreationDate', timestamp(b.creationDate)),
          optionalText('BucketRegion', b.region),
        ]),
      ),
    ),
    optionalText('ContinuationToken', input.continuationToken),
    optionalText('Prefix', input.prefix),
  ]);
}

export interface ObjectEntry {
  key: string;
  lastModified: Date;
  /** Quoted, as stored. */
  etag: string;
  size: number;
  storageClass?: string;
  /** Included only when the request asked for it (V1 always, V2 with fetch-owner). */
  owner?: Owner;
  checksumAlgorithms?: readonly ChecksumAlgorithm[];
  checksumType?: ChecksumType;
}

function contentsNode(entry: ObjectEntry, encoding: EncodingType | undefined): XmlNode {
  return XmlNode.element('Contents', [
    XmlNode.text('Key', listName(entry.key, encoding)),
    XmlNode.text('LastModified', timestamp(entry.lastModified)),
    XmlNode.text('ETag', entry.etag),
    ...(entry.checksumAlgorithms ?? []).map((a) => XmlNode.text('ChecksumAlgorithm', a)),
    optionalText('ChecksumType', entry.checksumType),
    XmlNode.text('Size', entry.size),
    ownerNode('Owner', entry.owner),
    XmlNode.text('StorageClass', entry.storageClass ?? 'STANDARD'),
  ]);
}

function commonPrefixNodes(prefixes: readonly string[], encoding: EncodingType | undefined): XmlNode[] {
  return prefixes.map((p) => XmlNode.element('CommonPrefixes', [XmlNode.text('Prefix', listName(p, encoding))]));
}

interface ListObjectsCommon {
  bucket: string;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  isTruncated: boolean;
  encodingType?: EncodingType;
  contents: readonly ObjectEntry[];
  commonPrefixes: readonly string[];
}

export interface ListObjectsV1Input extends ListObjectsCommon {
  marker: string;
  /** Sent only with a delimiter when truncated (S3's rule). */
  nextMarker?: string;
}

/** ListObjects (V1) response. */
export function listObjectsV1Xml(input: ListObjectsV1Input): string {
  const enc = input.encodingType;
  return root('ListBucketResult', [
    XmlNode.text('Name', input.bucket),
    // V1 sends Prefix as given even with encoding-type=url: S3 does, and
    // botocore decodes Marker, NextMarker, Delimiter and names but not it.
    XmlNode.text('Prefix', input.prefix),
    XmlNode.text('Marker', listName(input.marker, enc)),
    input.nextMarker !== undefined && XmlNode.text('NextMarker', listName(input.nextMarker, enc)),
    XmlNode.text('MaxKeys', input.maxKeys),
    input.delimiter !== undefined && XmlNode.text('Delimiter', listName(input.delimiter, enc)),
    XmlNode.text('IsTruncated', input.isTruncated),
    optionalText('EncodingType', enc),
    ...input.contents.map((c) => contentsNode(c, enc)),
    ...commonPrefixNodes(input.commonPrefixes, enc),
  ]);
}

export interface ListObjectsV2Input extends ListObjectsCommon {
  /** Opaque; echoed unencoded. */
  continuationToken?: string;
  nextContinuationToken?: string;
  startAfter?: string;
}

/** ListObjectsV2 response; `KeyCount` counts contents and common prefixes. */
export function listObjectsV2Xml(input: ListObjectsV2Input): string {
  const enc = input.encodingType;
  return root('ListBucketResult', [
    XmlNode.text('Name', input.bucket),
    XmlNode.text('Prefix', listName(input.prefix, enc)),
    optionalText('ContinuationToken', input.continuationToken),
    optionalText('NextContinuationToken', input.nextContinuationToken),
    XmlNode.text('KeyCount', input.contents.length + input.commonPrefixes.length),
    XmlNode.text('MaxKeys', input.maxKeys),
    input.delimiter !== undefined && XmlNode.text('Delimiter', listName(input.delimiter, enc)),
    XmlNode.text('IsTruncated', input.isTruncated),
    input.startAfter !== undefined && XmlNode.text('StartAfter', listName(input.startAfter, enc)),
    optionalText('EncodingType', enc),
    ...input.contents.map((c) => contentsNode(c, enc)),
    ...commonPrefixNodes(input.commonPrefixes, enc),
  ]);
}

export interface UploadEntry {
  key: string;
  uploadId: string;
  initiated: Date;
  initiator?: Owner;
  owner?: Owner;
  storageClass?: string;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
}

export interface ListMultipartUploadsInput {
  bucket: string;
  keyMarker: string;
  uploadIdMarker: string;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
  prefix: string;
  delimiter?: string;
  maxUploads: number;
  isTruncated: boolean;
  encodingType?: EncodingType;
  uploads: readonly UploadEntry[];
  commonPrefixes: readonly string[];
}

export function listMultipartUploadsXml(input: ListMultipartUploadsInput): string {
  const enc = input.encodingType;
  return root('ListMultipartUploadsResult', [
    XmlNode.text('Bucket', input.bucket),
    XmlNode.text('KeyMarker', listName(input.keyMarker, enc)),
    XmlNode.text('UploadIdMarker', input.uploadIdMarker),
    input.nextKeyMarker !== undefined && XmlNode.text('NextKeyMarker', listName(input.nextKeyMarker, enc)),
    optionalText('NextUploadIdMarker', input.nextUploadIdMarker),
    input.delimiter !== undefined && XmlNode.text('Delimiter', listName(input.delimiter, enc)),
    XmlNode.text('Prefix', listName(input.prefix, enc)),
    XmlNode.text('MaxUploads', input.maxUploads),
    XmlNode.text('IsTruncated', input.isTruncated),
    optionalText('EncodingType', enc),
    ...input.uploads.map((u) =>
      XmlNode.element('Upload', [
        XmlNode.text('Key', listName(u.key, enc)),
        XmlNode.text('UploadId', u.uploadId),
        ownerNode('Initiator', u.initiator),
        ownerNode('Owner', u.owner),
        XmlNode.text('StorageClass', u.storageClass ?? 'STANDARD'),
        XmlNode.text('Initiated', timestamp(u.initiated)),
        optionalText('ChecksumAlgorithm', u.checksumAlgorithm),
        optionalText('ChecksumType', u.checksumType),
      ]),
    ),
    ...commonPrefixNodes(input.commonPrefixes, enc),
  ]);
}

export interface PartEntry {
  partNumber: number;
  lastModified: Date;
  etag: string;
  size: number;
  checksums?: Checksums;
}

export interface ListPartsInput {
  bucket: string;
  key: string;
  uploadId: string;
  partNumberMarker: number;
  nextPartNumberMarker?: number;
  maxParts: number;
  isTruncated: boolean;
  initiator?: Owner;
  owner?: Owner;
  storageClass?: string;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  parts: readonly PartEntry[];
}

export function listPartsXml(input: ListPartsInput): string {
  return root('ListPartsResult', [
    XmlNode.text('Bucket', input.bucket),
    XmlNode.text('Key', input.key),
    XmlNode.text('UploadId', input.uploadId),
    XmlNode.text('PartNumberMarker', input.partNumberMarker),
    optionalText('NextPartNumberMarker', input.nextPartNumberMarker),
    XmlNode.text('MaxParts', input.maxParts),
    XmlNode.text('IsTruncated', input.isTruncated),
    ownerNode('Initiator', input.initiator),
    ownerNode('Owner', input.owner),
    XmlNode.text('StorageClass', input.storageClass ?? 'STANDARD'),
    optionalText('ChecksumAlgorithm', input.checksumAlgorithm),
    optionalText('ChecksumType', input.checksumType),
    ...input.parts.map((p) =>
      XmlNode.element('Part', [
        XmlNode.text('PartNumber', p.partNumber),
        XmlNode.text('LastModified', timestamp(p.lastModified)),
        XmlNode.text('ETag', p.etag),
        XmlNode.text('Size', p.size),
        ...checksumNodes(p.checksums),
      ]),
    ),
  ]);
}

export function initiateMultipartUploadXml(input: { bucket: string; key: string; uploadId: string }): string {
  return root('InitiateMultipartUploadResult', [
    XmlNode.text('Bucket', input.bucket),
    XmlNode.text('Key', input.key),
    XmlNode.text('UploadId', input.uploadId),
  ]);
}

export interface CompleteMultipartUploadInput {
  location: string;
  bucket: string;
  key: string;
  etag: string;
  checksums?: Checksums;
  checksumType?: ChecksumType;
}

export function completeMultipartUploadXml(input: CompleteMultipartUploadInput): string {
  return root('CompleteMultipartUploadResult', [
    XmlNode.text('Location', input.location),
    XmlNode.text('Bucket', input.bucket),
    XmlNode.text('Key', input.key),
    XmlNode.text('ETag', input.etag),
    ...checksumNodes(input.checksums),
    optionalText('ChecksumType', input.checksumType),
  ]);
}

export interface CopyResultInput {
  etag: string;
  lastModified: Date;
  checksums?: Checksums;
  checksumType?: ChecksumType;
}

function copyResult(name: string, input: CopyResultInput): string {
  return root(name, [
    XmlNode.text('ETag', input.etag),
    XmlNode.text('LastModified', timestamp(input.lastModified)),
    optionalText('ChecksumType', input.checksumType),
    ...checksumNodes(input.checksums),
  ]);
}

export function copyObjectResultXml(input: CopyResultInput): string {
  return copyResult('CopyObjectResult', input);
}

export function copyPartResultXml(input: CopyResultInput): string {
  return copyResult('CopyPartResult', input);
}

export interface DeletedEntry {
  key: string;
  versionId?: string;
  deleteMarker?: boolean;
  deleteMarkerVersionId?: string;
}

export interface DeleteErrorEntry {
  key: string;
  versionId?: string;
  code: string;
  message: string;
}

/** DeleteObjects response; in quiet mode pass no `deleted` entries (S3 lists only errors). */
export function deleteResultXml(input: {
  deleted: readonly DeletedEntry[];
  errors: readonly DeleteErrorEntry[];
}): string {
  return root('DeleteResult', [
    ...input.deleted.map((d) =>
      XmlNode.element('Deleted', [
        XmlNode.text('Key', d.key),
        optionalText('VersionId', d.versionId),
        optionalText('DeleteMarker', d.deleteMarker),
        optionalText('DeleteMarkerVersionId', d.deleteMarkerVersionId),
      ]),
    ),
    ...input.errors.map((e) =>
      XmlNode.element('Error', [
        XmlNode.text('Key', e.key),
        optionalText('VersionId', e.versionId),
        XmlNode.text('Code', e.code),
        XmlNode.text('Message', e.message),
      ]),
    ),
  ]);
}

/**
 * GetBucketLocation response. S3 answers an empty element for us-east-1
 * (a legacy every SDK maps back to us-east-1), the region name otherwise.
 */
export function locationConstraintXml(region: string): string {
  const node =
    region === 'us-east-1'
      ? XmlNode.element('LocationConstraint', [], { xmlns: S3_XMLNS })
      : XmlNode.text('LocationConstraint', region, { xmlns: S3_XMLNS });
  return xmlDocument(node);
}

export interface VersionEntry {
  key: string;
  /** `null` for the null version. */
  versionId: string;
  isLatest: boolean;
  lastModified: Date;
  /** A delete marker carries no ETag, size or storage class. */
  deleteMarker: boolean;
  etag?: string;
  size?: number;
  storageClass?: string;
  owner?: Owner;
}

export interface ListVersionsInput {
  bucket: string;
  prefix: string;
  keyMarker: string;
  versionIdMarker: string;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
  delimiter?: string;
  maxKeys: number;
  isTruncated: boolean;
  encodingType?: EncodingType;
  versions: readonly VersionEntry[];
  commonPrefixes: readonly string[];
}

/** ListObjectVersions response: versions and delete markers in key order, newest first per key. */
export function listVersionsXml(input: ListVersionsInput): string {
  const enc = input.encodingType;
  return root('ListVersionsResult', [
    XmlNode.text('Name', input.bucket),
    XmlNode.text('Prefix', listName(input.prefix, enc)),
    XmlNode.text('KeyMarker', listName(input.keyMarker, enc)),
    XmlNode.text('VersionIdMarker', input.versionIdMarker),
    input.nextKeyMarker !== undefined && XmlNode.text('NextKeyMarker', listName(input.nextKeyMarker, enc)),
    optionalText('NextVersionIdMarker', input.nextVersionIdMarker),
    XmlNode.text('MaxKeys', input.maxKeys),
    input.delimiter !== undefined && XmlNode.text('Delimiter', listName(input.delimiter, enc)),
    XmlNode.text('IsTruncated', input.isTruncated),
    optionalText('EncodingType', enc),
    ...input.versions.map((v) =>
      v.deleteMarker
        ? XmlNode.element('DeleteMarker', [
            XmlNode.text('Key', listName(v.key, enc)),
            XmlNode.text('VersionId', v.versionId),
            XmlNode.text('IsLatest', v.isLatest),
            XmlNode.text('LastModified', timestamp(v.lastModified)),
            ownerNode('Owner', v.owner),
          ])
        : XmlNode.element('Version', [
            XmlNode.text('Key', listName(v.key, enc)),
            XmlNode.text('VersionId', v.versionId),
            XmlNode.text('IsLatest', v.isLatest),
            XmlNode.text('LastModified', timestamp(v.lastModified)),
            XmlNode.text('ETag', v.etag ?? ''),
            XmlNode.text('Size', v.size ?? 0),
            ownerNode('Owner', v.owner),
            XmlNode.text('StorageClass', v.storageClass ?? 'STANDARD'),
          ]),
    ),
    ...commonPrefixNodes(input.commonPrefixes, enc),
  ]);
}

export interface ObjectPartEntry {
  partNumber: number;
  size: number;
  checksums?: Checksums;
}

/** GetObjectAttributes: each element only when the client asked for it (and, for parts, only for multipart objects). */
export interface ObjectAttributesInput {
  /** Without quotes. */
  etag?: string;
  checksum?: { checksums: Checksums; checksumType?: ChecksumType };
  objectParts?: {
    partsCount: number;
    partNumberMarker: number;
    nextPartNumberMarker?: number;
    maxParts: number;
    isTruncated: boolean;
    parts: readonly ObjectPartEntry[];
  };
  storageClass?: string;
  objectSize?: number;
}

export function objectAttributesXml(input: ObjectAttributesInput): string {
  const c = input.checksum;
  const p = input.objectParts;
  return root('GetObjectAttributesResponse', [
    optionalText('ETag', input.etag),
    c &&
      Object.keys(c.checksums).length > 0 &&
      XmlNode.element('Checksum', [...checksumNodes(c.checksums), optionalText('ChecksumType', c.checksumType)]),
    p &&
      XmlNode.element('ObjectParts', [
        XmlNode.text('PartsCount', p.partsCount),
        XmlNode.text('PartNumberMarker', p.partNumberMarker),
        optionalText('NextPartNumberMarker', p.nextPartNumberMarker),
        XmlNode.text('MaxParts', p.maxParts),
        XmlNode.text('IsTruncated', p.isTruncated),
        ...p.parts.map((part) =>
          XmlNode.element('Part', [
            XmlNode.text('PartNumber', part.partNumber),
            XmlNode.text('Size', part.size),
            ...checksumNodes(part.checksums),
          ]),
        ),
      ]),
    optionalText('StorageClass', input.storageClass),
    optionalText('ObjectSize', input.objectSize),
  ]);
}

/**
 * GetBucketAcl / GetObjectAcl for the one ACL Platter has: the owner with
 * FULL_CONTROL (the `private` canned ACL).
 */
export function ownerOnlyAclXml(owner: Owner): string {
  return root('AccessControlPolicy', [
    ownerNode('Owner', owner),
    XmlNode.element('AccessControlList', [
      XmlNode.element('Grant', [
        XmlNode.element('Grantee', [XmlNode.text('ID', owner.id), optionalText('DisplayName', owner.displayName)], {
          'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
          'xsi:type': 'CanonicalUser',
        }),
        XmlNode.text('Permission', 'FULL_CONTROL'),
      ]),
    ]),
  ]);
}

/** GetBucketOwnershipControls response: one rule. */
export function ownershipControlsXml(objectOwnership: string): string {
  return root('OwnershipControls', [XmlNode.element('Rule', [XmlNode.text('ObjectOwnership', objectOwnership)])]);
}

/** GetBucketVersioning response; a never-versioned bucket has no Status. */
export function versioningConfigurationXml(status: 'Enabled' | 'Suspended' | undefined): string {
  return root('VersioningConfiguration', [optionalText('Status', status)]);
}
