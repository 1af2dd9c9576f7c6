import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { CRC32, CRC32C, CRC64NVME, crcCombine, crcFromBytes, crcOf, crcToBytes, type CrcSpec } from './crc-math.js';

const A = commonV1.ChecksumAlgorithm;
const T = commonV1.ChecksumType;

/** S3's multipart ETag: hex MD5 of the concatenated binary part MD5s, then "-<part count>". */
export function multipartEtag(partEtags: readonly string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) md5.update(Buffer.from(etag, 'hex'));
  return `${md5.digest('hex')}-${partEtags.length}`;
}

function crcSpec(algorithm: commonV1.ChecksumAlgorithm): CrcSpec | undefined {
  switch (algorithm) {
    case A.CRC32:
      return CRC32;
    case A.CRC32C:
      return CRC32C;
    case A.CRC64NVME:
      return CRC64NVME;
    default:
      return undefined;
  }
}

/** The checksum type an upload ends with when the client named none (S3's defaults). */
export function effectiveChecksumType(
  algorithm: commonV1.ChecksumAlgorithm,
  type: commonV1.ChecksumType,
): commonV1.ChecksumType {
  if (type !== T.UNSPECIFIED) return type;
  return algorithm === A.CRC64NVME ? T.FULL_OBJECT : T.COMPOSITE;
}

export interface PartChecksum {
  /** The part's checksum of the upload's algorithm (raw digest). */
  value: Uint8Array;
  size: bigint;
}

/**
 * The whole object's checksum from its parts': COMPOSITE is the algorithm
 * over the concatenated part digests; FULL_OBJECT (CRCs only) is the CRC of
 * all the bytes, combined from the part CRCs and lengths. Undefined when the
 * combination is impossible (FULL_OBJECT of a SHA, a digest of the wrong size).
 */
export function objectChecksum(
  algorithm: commonV1.ChecksumAlgorithm,
  type: commonV1.ChecksumType,
  parts: readonly PartChecksum[],
): commonV1.Checksum | undefined {
  const spec = crcSpec(algorithm);
  if (type === T.FULL_OBJECT) {
    if (spec === undefined) return undefined;
    let crc: bigint | undefined;
    for (const part of parts) {
      const partCrc = crcFromBytes(spec, part.value);
      if (partCrc === undefined) return undefined;
      crc = crc === undefined ? partCrc : crcCombine(spec, crc, partCrc, part.size);
    }
    if (crc === undefined) return undefined;
    return create(commonV1.ChecksumSchema, { algorithm, type, value: crcToBytes(spec, crc) });
  }
  const joined = Buffer.concat(parts.map((p) => p.value));
  let value: Uint8Array;
  if (spec !== undefined) value = crcToBytes(spec, crcOf(spec, joined));
  else if (algorithm === A.SHA1) value = createHash('sha1').update(joined).digest();
  else if (algorithm === A.SHA256) value = createHash('sha256').update(joined).digest();
  else return undefined;
  return create(commonV1.ChecksumSchema, { algorithm, type: T.COMPOSITE, value });
}
