import { S3Error } from '../errors.js';

// A surrogate half without its partner: not encodable as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Longest object key S3 accepts (bytes of UTF-8). */
export const MAX_OBJECT_KEY_BYTES = 1024;

/**
 * How strict key validation is.
 *
 * S3 accepts any UTF-8 key up to 1,024 bytes, `.`/`..` segments, `//` and
 * control characters included. MinIO refuses keys with `.`/`..` segments
 * because its keys are file paths. Platter's keys never become paths
 * (storage nodes see shard ids only), so the default is S3's behaviour;
 * `rejectDotSegments` exists for deployments that proxy to path-based
 * backends or want to spare clients whose HTTP stacks normalise URLs.
 */
export interface ObjectKeyPolicy {
  rejectDotSegments?: boolean;
}

/**
 * Validates a decoded object key. Length is counted in UTF-8 bytes; keys
 * with lone surrogates cannot be UTF-8 and are refused.
 */
export function validateObjectKey(key: string, policy: ObjectKeyPolicy = {}): void {
  if (key.length === 0) throw new S3Error('InvalidObjectName', 'Object name cannot be empty.');
  if (LONE_SURROGATE.test(key)) throw new S3Error('InvalidObjectName', 'Object name is not valid UTF-8.');
  // Fast path: a UTF-16 string of n units is at most 3n UTF-8 bytes.
  if (key.length * 3 > MAX_OBJECT_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_OBJECT_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', undefined, {
      details: { Size: String(Buffer.byteLength(key, 'utf8')), MaxSizeAllowed: String(MAX_OBJECT_KEY_BYTES) },
    });
  }
  if (policy.rejectDotSegments && key.split('/').some((s) => s === '.' || s === '..')) {
    throw new S3Error('InvalidObjectName', 'Object name contains a "." or ".." path segment.', {
      details: { Key: key },
    });
  }
}
