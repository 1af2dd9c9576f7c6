import { normalizeEtag } from '../checksums/etag.js';
import { S3Error } from '../errors.js';
import { parseHttpDate } from '../sigv4/amz-date.js';
import { headerValue, type RequestHeaders } from '../sigv4/canonical-request.js';

/** The four RFC 7232 preconditions, raw header values. */
export interface ConditionalHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** What a read precondition is checked against. */
export interface ObjectValidators {
  /** ETag as stored, quoted or not. */
  etag: string;
  lastModified: Date;
}

export type ReadConditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

/** Picks the precondition headers out of a request's headers. */
export function conditionalHeadersFrom(headers: RequestHeaders): ConditionalHeaders {
  const out: ConditionalHeaders = {};
  const set = (key: keyof ConditionalHeaders, name: string): void => {
    const v = headerValue(headers, name);
    if (v !== undefined) out[key] = v;
  };
  set('ifMatch', 'if-match');
  set('ifNoneMatch', 'if-none-match');
  set('ifModifiedSince', 'if-modified-since');
  set('ifUnmodifiedSince', 'if-unmodified-since');
  return out;
}

/** True when an entity-tag list (`"a", W/"b"`, or `*`) matches the ETag. */
export function etagListMatches(list: string, etag: string): boolean {
  const target = normalizeEtag(etag);
  return list.split(',').some((item) => {
    const tag = item.trim();
    return tag === '*' || (tag !== '' && normalizeEtag(tag) === target);
  });
}

// HTTP dates have one-second resolution; compare whole seconds so an object
// written at .900 is not "modified since" the second it was written in.
function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * Evaluates GET/HEAD preconditions the way S3 does (RFC 7232 section 6):
 * If-Match, else If-Unmodified-Since, can fail with 412; then If-None-Match,
 * else If-Modified-Since, can answer 304. When If-Match holds, a failing
 * If-Unmodified-Since is ignored; when If-None-Match holds, a failing
 * If-Modified-Since is ignored. Unparseable dates are ignored, as is an
 * If-Modified-Since later than `now` (RFC 7232 3.3).
 */
export function evaluateReadConditions(
  conditions: ConditionalHeaders,
  object: ObjectValidators,
  now?: Date,
): ReadConditionOutcome {
  const modified = seconds(object.lastModified);
  if (conditions.ifMatch !== undefined) {
    if (!etagListMatches(conditions.ifMatch, object.etag)) return 'precondition-failed';
  } else if (conditions.ifUnmodifiedSince !== undefined) {
    const date = parseHttpDate(conditions.ifUnmodifiedSince);
    if (date && modified > seconds(date)) return 'precondition-failed';
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (etagListMatches(conditions.ifNoneMatch, object.etag)) return 'not-modified';
  } else if (conditions.ifModifiedSince !== undefined) {
    const date = parseHttpDate(conditions.ifModifiedSince);
    const valid = date !== undefined && (now === undefined || date.getTime() <= now.getTime());
    if (valid && modified <= seconds(date)) return 'not-modified';
  }
  return 'proceed';
}

/** {@link evaluateReadConditions}, throwing `PreconditionFailed` (412) or `NotModified` (304). */
export function assertReadConditions(conditions: ConditionalHeaders, object: ObjectValidators, now?: Date): void {
  const outcome = evaluateReadConditions(conditions, object, now);
  if (outcome === 'precondition-failed') {
    const condition = conditions.ifMatch !== undefined ? 'If-Match' : 'If-Unmodified-Since';
    throw new S3Error('PreconditionFailed', undefined, { details: { Condition: condition } });
  }
  if (outcome === 'not-modified')
    throw new S3Error('NotModified', undefined, {
      headers: { ETag: `"${normalizeEtag(object.etag)}"`, 'Last-Modified': object.lastModified.toUTCString() },
    });
}

/** Preconditions of a conditional write (PutObject, CompleteMultipartUpload, CopyObject). */
export interface WriteConditions {
  /** `If-None-Match: *`: only create, never overwrite. */
  ifNoneMatchAny: boolean;
  /** `If-Match: <etag>` (normalised): only overwrite this version. */
  ifMatch?: string;
  /**
   * `If-None-Match: <etag list>` (RGW's extension; S3 knows only `*`): refuse
   * when the current version's ETag is listed. Raw header value.
   */
  ifNoneMatchEtags?: string;
}

/**
 * Parses write preconditions: `If-None-Match: *` and a single ETag for
 * If-Match (S3's), and an ETag list for If-None-Match (Ceph RGW's; s3-tests
 * expect it). The `*` and If-Match checks are atomic in the namespace
 * commit, not here.
 */
export function parseWriteConditions(headers: RequestHeaders): WriteConditions {
  const ifNoneMatch = headerValue(headers, 'if-none-match');
  const ifMatch = headerValue(headers, 'if-match');
  const any = ifNoneMatch !== undefined && ifNoneMatch.trim() === '*';
  const out: WriteConditions = { ifNoneMatchAny: any };
  if (ifNoneMatch !== undefined && !any) out.ifNoneMatchEtags = ifNoneMatch;
  if (ifMatch !== undefined) {
    if (ifMatch.includes(',') || ifMatch.trim() === '') {
      throw new S3Error('InvalidArgument', 'If-Match must be a single entity tag', {
        details: { ArgumentName: 'If-Match', ArgumentValue: ifMatch },
      });
    }
    out.ifMatch = normalizeEtag(ifMatch);
  }
  return out;
}
