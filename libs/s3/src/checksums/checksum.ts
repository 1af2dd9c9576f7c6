import { crc32, crc32c } from '@node-rs/crc32';
import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../errors.js';
import { Crc64Nvme } from './crc64nvme.js';

/** The additional checksums S3 supports, by their API names. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Raw digest length in bytes, per algorithm. */
export const CHECKSUM_DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/** An incremental hasher whose result S3 sends base64-encoded. */
export interface ChecksumHasher {
  readonly algorithm: ChecksumAlgorithm;
  update(data: Uint8Array): void;
  /** Raw digest bytes; call once. */
  digest(): Buffer;
}

class Crc32Hasher implements ChecksumHasher {
  private state = 0;
  constructor(
    readonly algorithm: 'CRC32' | 'CRC32C',
    private readonly fn: typeof crc32,
  ) {}
  update(data: Uint8Array): void {
    this.state = this.fn(data, this.state);
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.state >>> 0, 0);
    return out;
  }
}

class Crc64Hasher implements ChecksumHasher {
  readonly algorithm = 'CRC64NVME' as const;
  private readonly crc = new Crc64Nvme();
  update(data: Uint8Array): void {
    this.crc.update(data);
  }
  digest(): Buffer {
    return this.crc.digest();
  }
}

class NodeHasher implements ChecksumHasher {
  private readonly hash: Hash;
  constructor(readonly algorithm: 'SHA1' | 'SHA256') {
    this.hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Buffer {
    return this.hash.digest();
  }
}

/** A fresh incremental hasher for an S3 checksum algorithm. */
export function createChecksumHasher(algorithm: ChecksumAlgorithm): ChecksumHasher {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32Hasher('CRC32', crc32);
    case 'CRC32C':
      return new Crc32Hasher('CRC32C', crc32c);
    case 'CRC64NVME':
      return new Crc64Hasher();
    case 'SHA1':
    case 'SHA256':
      return new NodeHasher(algorithm);
  }
}

/** One-shot checksum, base64 as S3 sends it. */
export function checksumBase64(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  const hasher = createChecksumHasher(algorithm);
  hasher.update(data);
  return hasher.digest().toString('base64');
}

/** Parses an algorithm name (`x-amz-checksum-algorithm`, `x-amz-sdk-checksum-algorithm`), case-insensitive. */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm {
  const upper = value.trim().toUpperCase();
  const found = CHECKSUM_ALGORITHMS.find((a) => a === upper);
  if (!found) {
    throw new S3Error('InvalidRequest', `Value for x-amz-checksum-algorithm header is invalid.`, {
      details: { ArgumentName: 'x-amz-checksum-algorithm', ArgumentValue: value },
    });
  }
  return found;
}

/** The header carrying a checksum, e.g. `x-amz-checksum-crc32c`. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** The algorithm named by an `x-amz-checksum-*` header, or undefined for any other header. */
export function checksumAlgorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  return CHECKSUM_ALGORITHMS.find((a) => checksumHeaderName(a) === lower);
}

/**
 * Validates a base64 checksum a client sent: canonical base64 of exactly the
 * digest length. A malformed value is `InvalidRequest` (S3 does not accept it
 * as a mismatch, it refuses the request up front).
 */
export function decodeChecksumValue(algorithm: ChecksumAlgorithm, value: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== CHECKSUM_DIGEST_BYTES[algorithm] || bytes.toString('base64') !== value) {
    throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} header is invalid.`);
  }
  return bytes;
}

/** Throws `BadDigest` unless `computed` equals the base64 value the client sent. */
export function assertChecksumMatches(algorithm: ChecksumAlgorithm, expectedBase64: string, computed: Buffer): void {
  const expected = decodeChecksumValue(algorithm, expectedBase64);
  if (!expected.equals(computed)) {
    throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
  }
}
