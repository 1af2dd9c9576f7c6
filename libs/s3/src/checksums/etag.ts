import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../errors.js';
import {
  CHECKSUM_DIGEST_BYTES,
  type ChecksumAlgorithm,
  createChecksumHasher,
  decodeChecksumValue,
} from './checksum.js';

/** Incremental MD5 for an object or part ETag. */
export class Md5Hasher {
  private readonly hash: Hash = createHash('md5');
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  /** Raw 16-byte digest; call once. */
  digest(): Buffer {
    return this.hash.digest();
  }
}

/** `"<hex md5>"`, the ETag of a single-part object. */
export function etagFromMd5(md5: Uint8Array): string {
  return `"${Buffer.from(md5).toString('hex')}"`;
}

/**
 * The ETag of a completed multipart upload: MD5 of the concatenated binary
 * part MD5s, hex, then `-<part count>`.
 */
export function multipartEtag(partMd5s: readonly Uint8Array[]): string {
  if (partMd5s.length === 0) throw new RangeError('a multipart upload has at least one part');
  const hash = createHash('md5');
  for (const md5 of partMd5s) hash.update(md5);
  return `"${hash.digest('hex')}-${partMd5s.length}"`;
}

/** Strips the quotes (and a weak `W/` prefix) from an ETag for comparison. */
export function normalizeEtag(etag: string): string {
  let e = etag.trim();
  if (e.startsWith('W/')) e = e.slice(2);
  if (e.length >= 2 && e.startsWith('"') && e.endsWith('"')) e = e.slice(1, -1);
  return e;
}

/** The MD5 an ETag of a single-part upload carries (16 bytes), or undefined if it is not one. */
export function md5FromEtag(etag: string): Buffer | undefined {
  const hex = normalizeEtag(etag);
  return /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/** Decodes `Content-MD5` (base64 of 16 bytes); malformed is `InvalidDigest`. */
export function parseContentMd5(value: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== 16 || bytes.toString('base64') !== value.trim()) throw new S3Error('InvalidDigest');
  return bytes;
}

/**
 * A composite ("checksum of checksums") multipart checksum: the algorithm
 * over the concatenated raw part checksums, base64, then `-<part count>`.
 * Part checksums are given base64, as clients send them in
 * CompleteMultipartUpload.
 */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksumsBase64: readonly string[]): string {
  if (partChecksumsBase64.length === 0) throw new RangeError('a multipart upload has at least one part');
  const hasher = createChecksumHasher(algorithm);
  for (const part of partChecksumsBase64) {
    const raw = decodeChecksumValue(algorithm, part);
    if (raw.length !== CHECKSUM_DIGEST_BYTES[algorithm]) throw new S3Error('InvalidPart');
    hasher.update(raw);
  }
  return `${hasher.digest().toString('base64')}-${partChecksumsBase64.length}`;
}
