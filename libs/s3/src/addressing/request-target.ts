import { S3Error } from '../errors.js';
import { decodePathSegments } from '../sigv4/uri-encoding.js';
import { validateObjectKey, type ObjectKeyPolicy } from './object-key.js';

export interface AddressingOptions {
  /**
   * Domains under which `<bucket>.<domain>` is virtual-hosted-style, e.g.
   * `s3.example.com`. Any other host (an IP, `localhost`, the domain itself)
   * is path-style.
   */
  baseDomains: readonly string[];
  keyPolicy?: ObjectKeyPolicy;
}

/** What a request addresses: the service, a bucket, or an object. */
export type RequestTarget =
  | { kind: 'service' }
  | { kind: 'bucket'; style: AddressingStyle; bucket: string }
  | { kind: 'object'; style: AddressingStyle; bucket: string; key: string };

export type AddressingStyle = 'path' | 'virtual-host';

/** The host name of a `Host` header without port, lower-cased; IPv6 brackets kept. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * Resolves bucket and key from `Host` and the raw (still percent-encoded)
 * path. Keys are decoded segment by segment, never normalised: `a/../b` and
 * `a//b` are keys in their own right in S3.
 */
export function parseRequestTarget(
  host: string | undefined,
  rawPath: string,
  options: AddressingOptions,
): RequestTarget {
  if (!rawPath.startsWith('/')) throw new S3Error('InvalidURI');
  const name = host === undefined ? '' : hostName(host);
  // A host that is exactly `.<domain>` names no bucket: treat it as path-style.
  const domain = options.baseDomains.find((d) => name.length > d.length + 1 && name.endsWith(`.${d.toLowerCase()}`));
  if (domain !== undefined) {
    const bucket = name.slice(0, name.length - domain.length - 1);
    const key = decodePathSegments(rawPath.slice(1)).join('/');
    return objectOrBucket('virtual-host', bucket, key, options);
  }
  const slash = rawPath.indexOf('/', 1);
  const bucketRaw = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
  if (bucketRaw === '') {
    if (rawPath.length > 1) throw new S3Error('InvalidURI');
    return { kind: 'service' };
  }
  const [bucket] = decodePathSegments(bucketRaw) as [string];
  const key = slash < 0 ? '' : decodePathSegments(rawPath.slice(slash + 1)).join('/');
  return objectOrBucket('path', bucket, key, options);
}

function objectOrBucket(
  style: AddressingStyle,
  bucket: string,
  key: string,
  options: AddressingOptions,
): RequestTarget {
  if (key === '') return { kind: 'bucket', style, bucket };
  validateObjectKey(key, options.keyPolicy);
  return { kind: 'object', style, bucket, key };
}
