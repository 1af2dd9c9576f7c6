import { hmacSha256, S3_SERVICE, SIGV4_TERMINATOR } from './canonical-request.js';

/** Derives the SigV4 signing key: HMAC chain over day, region, service, terminator. */
export function deriveSigningKey(secret: string, day: string, region: string, service = S3_SERVICE): Buffer {
  const kDate = hmacSha256(`AWS4${secret}`, day);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  return hmacSha256(kService, SIGV4_TERMINATOR);
}

/**
 * Entries kept by default: one per (access key, day, region) in use; a
 * frontend sees a few hundred active keys, each key needs one entry a day.
 */
export const SIGNING_KEY_CACHE_ENTRIES = 1024;

/**
 * A small LRU of derived signing keys. Deriving costs four HMACs per request;
 * the key only changes daily. The secret is kept beside the key so that a
 * rotated secret misses the cache instead of validating with the old one.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, { secret: string; key: Buffer }>();

  constructor(private readonly capacity = SIGNING_KEY_CACHE_ENTRIES) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  signingKey(accessKeyId: string, secret: string, day: string, region: string, service = S3_SERVICE): Buffer {
    const id = `${accessKeyId}\u0000${day}\u0000${region}\u0000${service}`;
    const hit = this.entries.get(id);
    if (hit && hit.secret === secret) {
      // Re-insert to mark as most recently used.
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit.key;
    }
    const key = deriveSigningKey(secret, day, region, service);
    this.entries.delete(id);
    this.entries.set(id, { secret, key });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return key;
  }
}
