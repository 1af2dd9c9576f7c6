import { S3Error } from '../errors.js';
import { headerValue, type RequestHeaders } from '../sigv4/canonical-request.js';

/**
 * Most user-defined metadata an object may carry (bytes): S3's 2 KB limit,
 * measured as the UTF-8 bytes of each name (without `x-amz-meta-`) plus its
 * value, summed.
 */
export const MAX_USER_METADATA_BYTES = 2048;

export const USER_METADATA_PREFIX = 'x-amz-meta-';

/**
 * The `x-amz-meta-*` headers of a request as name (lower-case, prefix
 * removed) → value; `MetadataTooLarge` over the S3 limit.
 */
export function userMetadataFrom(headers: RequestHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(USER_METADATA_PREFIX) || lower.length === USER_METADATA_PREFIX.length) continue;
    const key = lower.slice(USER_METADATA_PREFIX.length);
    const value = headerValue(headers, name) ?? '';
    size += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
    out[key] = value;
  }
  if (size > MAX_USER_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', undefined, {
      details: { Size: String(size), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) },
    });
  }
  return out;
}
