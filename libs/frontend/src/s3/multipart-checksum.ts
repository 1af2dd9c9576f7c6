import type { IncomingHttpHeaders } from 'node:http';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import {
  checksumAlgorithmOfHeader,
  decodeChecksumValue,
  parseChecksumAlgorithm,
  S3Error,
  type ChecksumAlgorithm,
  type Checksums,
  type ChecksumType,
} from '@platter/s3';
import type { ChecksumRequest } from './additional-checksum.js';

// The additional checksum of a multipart upload: chosen at creation
// (x-amz-checksum-algorithm, x-amz-checksum-type), carried by every part,
// listed per part at completion, and combined by the namespace into the
// object's checksum: COMPOSITE (the algorithm over the concatenated part
// digests, shown with "-<parts>") or FULL_OBJECT (the CRC of all the bytes).

type ChecksumInit = MessageInitShape<typeof commonV1.ChecksumSchema>;

const A = commonV1.ChecksumAlgorithm;
const T = commonV1.ChecksumType;

/** Only CRCs combine across parts; SHA digests can only be composite. */
const FULL_OBJECT_CAPABLE: ReadonlySet<ChecksumAlgorithm> = new Set(['CRC32', 'CRC32C', 'CRC64NVME']);
/** CRC64NVME objects are always FULL_OBJECT in S3. */
const COMPOSITE_CAPABLE: ReadonlySet<ChecksumAlgorithm> = new Set(['CRC32', 'CRC32C', 'SHA1', 'SHA256']);

export interface UploadChecksum {
  algorithm: commonV1.ChecksumAlgorithm;
  type: commonV1.ChecksumType;
}

export function algorithmName(a: commonV1.ChecksumAlgorithm): ChecksumAlgorithm | undefined {
  return a === A.UNSPECIFIED ? undefined : (A[a] as ChecksumAlgorithm | undefined);
}

function typeName(t: commonV1.ChecksumType): ChecksumType | undefined {
  if (t === T.COMPOSITE) return 'COMPOSITE';
  if (t === T.FULL_OBJECT) return 'FULL_OBJECT';
  return undefined;
}

/** The checksum a CreateMultipartUpload asks for, with S3's default type filled in; undefined for none. */
export function uploadChecksumOf(h: IncomingHttpHeaders): UploadChecksum | undefined {
  const algorithmHeader = h['x-amz-checksum-algorithm'];
  const typeHeader = h['x-amz-checksum-type'];
  if (typeof algorithmHeader !== 'string') {
    if (typeof typeHeader === 'string')
      throw new S3Error(
        'InvalidRequest',
        'The x-amz-checksum-type header can only be used with x-amz-checksum-algorithm.',
      );
    return undefined;
  }
  const algorithm = parseChecksumAlgorithm(algorithmHeader);
  const type =
    typeof typeHeader === 'string'
      ? typeHeader.trim().toUpperCase()
      : algorithm === 'CRC64NVME'
        ? 'FULL_OBJECT'
        : 'COMPOSITE';
  if (type === 'FULL_OBJECT' && FULL_OBJECT_CAPABLE.has(algorithm))
    return { algorithm: A[algorithm], type: T.FULL_OBJECT };
  if (type === 'COMPOSITE' && COMPOSITE_CAPABLE.has(algorithm)) return { algorithm: A[algorithm], type: T.COMPOSITE };
  throw new S3Error(
    'InvalidRequest',
    `The ${type} checksum type cannot be used with the ${algorithm} checksum algorithm.`,
  );
}

/** CreateMultipartUpload's answer headers naming the upload's checksum. */
export function uploadChecksumHeaders(c: UploadChecksum | undefined): Record<string, string> {
  const algorithm = c && algorithmName(c.algorithm);
  const type = c && typeName(c.type);
  return algorithm && type ? { 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': type } : {};
}

/**
 * The checksum a part must carry: the one its request names (which must be
 * the upload's, when the upload has one), else the upload's, computed here.
 */
export function partChecksumRequest(
  requested: ChecksumRequest | undefined,
  upload: { checksumAlgorithm: commonV1.ChecksumAlgorithm },
): ChecksumRequest | undefined {
  const expected = algorithmName(upload.checksumAlgorithm);
  if (requested && expected && requested.algorithm !== expected)
    throw new S3Error(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${requested.algorithm.toLowerCase()}`,
    );
  return requested ?? (expected ? { algorithm: expected } : undefined);
}

/** The per-part checksums a CompleteMultipartUpload lists, decoded. */
export function completedPartChecksums(listed: Checksums): ChecksumInit[] {
  const out: ChecksumInit[] = [];
  for (const [name, value] of Object.entries(listed) as [ChecksumAlgorithm, string][])
    out.push({ algorithm: A[name], value: decodeChecksumValue(name, value) });
  return out;
}

/** A checksum value the client asserted that is not even a digest cannot match: BadDigest (s3-tests expect it). */
export function asBadDigest<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof S3Error && err.code === 'InvalidRequest')
      throw new S3Error('BadDigest', 'The checksum you specified did not match the calculated checksum.');
    throw err;
  }
}

/**
 * A whole-object checksum asserted at completion (an x-amz-checksum-* header;
 * a composite one may carry its "-<parts>" suffix).
 */
export function expectedObjectChecksums(h: IncomingHttpHeaders): ChecksumInit[] {
  const out: ChecksumInit[] = [];
  for (const [name, value] of Object.entries(h)) {
    const algorithm = checksumAlgorithmOfHeader(name);
    if (algorithm === undefined || typeof value !== 'string') continue;
    const digest = value.replace(/-\d+$/, '');
    out.push({ algorithm: A[algorithm], value: asBadDigest(() => decodeChecksumValue(algorithm, digest)) });
  }
  return out;
}

/** Stored checksums as S3 shows them: base64, composite ones with "-<parts>". */
export function checksumsForXml(
  checksums: readonly commonV1.Checksum[],
  partsCount: number,
): { checksums: Checksums; checksumType?: ChecksumType } {
  const out: Checksums = {};
  let checksumType: ChecksumType | undefined;
  for (const c of checksums) {
    const name = algorithmName(c.algorithm);
    if (name === undefined) continue;
    const b64 = Buffer.from(c.value).toString('base64');
    out[name] = c.type === T.COMPOSITE ? `${b64}-${partsCount}` : b64;
    checksumType = c.type === T.COMPOSITE ? 'COMPOSITE' : 'FULL_OBJECT';
  }
  return checksumType ? { checksums: out, checksumType } : { checksums: out };
}

/** The names ListParts and ListMultipartUploads show for an upload's checksum. */
export function uploadChecksumNames(u: {
  checksumAlgorithm: commonV1.ChecksumAlgorithm;
  checksumType: commonV1.ChecksumType;
}): { checksumAlgorithm?: ChecksumAlgorithm; checksumType?: ChecksumType } {
  const algorithm = algorithmName(u.checksumAlgorithm);
  if (!algorithm) return {};
  const type = typeName(u.checksumType) ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  return { checksumAlgorithm: algorithm, checksumType: type };
}
