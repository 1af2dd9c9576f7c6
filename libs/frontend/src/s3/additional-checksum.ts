import type { IncomingHttpHeaders } from 'node:http';
import { commonV1 } from '@platter/proto';
import {
  assertChecksumMatches,
  checksumAlgorithmOfHeader,
  checksumHeaderName,
  createChecksumHasher,
  decodeChecksumValue,
  parseChecksumAlgorithm,
  S3Error,
  type ChecksumAlgorithm,
  type TrailerChecksum,
} from '@platter/s3';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { asBadDigest } from './multipart-checksum.js';

// S3's additional checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256): the one
// a client asks for is computed over the body as it streams, checked against
// the value it sent (a header, or a trailer the aws-chunked decoder already
// verified), stored with the version and returned on GET/HEAD with
// x-amz-checksum-mode: ENABLED.

type ChecksumInit = MessageInitShape<typeof commonV1.ChecksumSchema>;

export interface ChecksumRequest {
  algorithm: ChecksumAlgorithm;
  /** Base64 value from a header; absent when it comes in a trailer (or not at all). */
  expected?: string;
}

/** The checksum a PUT or UploadPart asks for, from its headers; undefined for none. */
export function checksumRequestOf(h: IncomingHttpHeaders): ChecksumRequest | undefined {
  const found: ChecksumRequest[] = [];
  for (const [name, value] of Object.entries(h)) {
    const algorithm = checksumAlgorithmOfHeader(name);
    if (algorithm !== undefined && typeof value === 'string') {
      // Refused before a byte is stored; a value that is not a digest cannot match.
      asBadDigest(() => decodeChecksumValue(algorithm, value));
      found.push({ algorithm, expected: value });
    }
  }
  if (found.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header.');
  if (found.length === 1) return found[0];
  const trailer = h['x-amz-trailer'];
  if (typeof trailer === 'string') {
    const algorithm = checksumAlgorithmOfHeader(trailer.trim());
    if (algorithm !== undefined) return { algorithm };
  }
  const sdk = h['x-amz-sdk-checksum-algorithm'] ?? h['x-amz-checksum-algorithm'];
  return typeof sdk === 'string' ? { algorithm: parseChecksumAlgorithm(sdk) } : undefined;
}

/** Computes a requested checksum while bytes stream past. */
export class ChecksumTap {
  private readonly hasher;

  constructor(readonly request: ChecksumRequest) {
    this.hasher = createChecksumHasher(request.algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hasher.update(chunk);
  }

  /** The stored form, after checking the client's header value or verified trailer. */
  finish(trailer: TrailerChecksum | undefined): ChecksumInit {
    const computed = this.hasher.digest();
    const { algorithm } = this.request;
    if (this.request.expected !== undefined) assertChecksumMatches(algorithm, this.request.expected, computed);
    if (trailer !== undefined) {
      if (trailer.algorithm !== algorithm)
        throw new S3Error(
          'InvalidRequest',
          `The trailer carried ${trailer.algorithm}, the request named ${algorithm}.`,
        );
      assertChecksumMatches(algorithm, trailer.base64, computed);
    }
    return {
      algorithm: commonV1.ChecksumAlgorithm[algorithm],
      type: commonV1.ChecksumType.FULL_OBJECT,
      value: computed,
    };
  }
}

/** Response headers for stored checksums, when the client asked (x-amz-checksum-mode: ENABLED) for a whole object. */
export function checksumResponseHeaders(
  h: IncomingHttpHeaders,
  checksums: readonly commonV1.Checksum[],
  wholeObject: boolean,
  partsCount = 0,
): Record<string, string> {
  if (String(h['x-amz-checksum-mode'] ?? '').toUpperCase() !== 'ENABLED' || !wholeObject) return {};
  const out: Record<string, string> = {};
  for (const c of checksums) {
    const name = commonV1.ChecksumAlgorithm[c.algorithm] as ChecksumAlgorithm | undefined;
    if (name === undefined || c.algorithm === commonV1.ChecksumAlgorithm.UNSPECIFIED) continue;
    const composite = c.type === commonV1.ChecksumType.COMPOSITE;
    const b64 = Buffer.from(c.value).toString('base64');
    // A composite checksum is not a digest of the bytes; S3 marks it with the part count.
    out[checksumHeaderName(name)] = composite ? `${b64}-${partsCount}` : b64;
    out['x-amz-checksum-type'] = composite ? 'COMPOSITE' : 'FULL_OBJECT';
  }
  return out;
}

/**
 * GET/HEAD of one part of a multipart object with checksum mode: the part's
 * own checksum, bare, under the object's checksum type.
 */
export function partChecksumResponseHeaders(
  h: IncomingHttpHeaders,
  part: commonV1.PartLayout,
  objectChecksums: readonly commonV1.Checksum[],
): Record<string, string> {
  const object = objectChecksums.find((c) => c.algorithm !== commonV1.ChecksumAlgorithm.UNSPECIFIED);
  if (!object) return {};
  const own = part.checksums.filter((c) => c.algorithm === object.algorithm);
  const asFull = own.map((c) => ({ ...c, type: commonV1.ChecksumType.FULL_OBJECT }));
  const out = checksumResponseHeaders(h, asFull, true);
  if (out['x-amz-checksum-type'] !== undefined)
    out['x-amz-checksum-type'] = object.type === commonV1.ChecksumType.COMPOSITE ? 'COMPOSITE' : 'FULL_OBJECT';
  return out;
}

/** A PUT's answer names the checksum it stored, as S3 does. */
export function checksumEchoHeaders(checksums: readonly ChecksumInit[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of checksums) {
    const name = c.algorithm === undefined ? undefined : (commonV1.ChecksumAlgorithm[c.algorithm] as ChecksumAlgorithm);
    if (name !== undefined && c.value !== undefined)
      out[checksumHeaderName(name)] = Buffer.from(c.value).toString('base64');
  }
  return out;
}
