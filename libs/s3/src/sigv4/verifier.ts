import { S3Error } from '../errors.js';
import { formatAmzDate, parseAmzDate, parseHttpDate } from './amz-date.js';
import { parseAuthorizationHeader } from './authorization-header.js';
import {
  canonicalRequest,
  headerValue,
  signatureOf,
  stringToSign,
  type RequestDescription,
} from './canonical-request.js';
import type { ChunkSigningContext } from './chunk-signature.js';
import { signaturesEqual } from './constant-time.js';
import type { Credential } from './credential.js';
import { parsePayloadHash, UNSIGNED_PAYLOAD, type PayloadHashMode } from './payload-hash.js';
import { hasPresignedQuery, parsePresignedQuery, PRESIGNED_SIGNATURE_PARAM } from './presigned-query.js';
import { SigningKeyCache } from './signing-key.js';
import { parseQuery, type QueryParam } from './uri-encoding.js';

/** Largest allowed distance between the request time and ours (ms): S3's 15 minutes. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Resolves an access key id to its secret, or undefined when the key does not exist. */
export type SecretLookup = (accessKeyId: string) => Promise<string | undefined>;

export interface SigV4VerifierOptions {
  /** Regions a signature may be scoped to; the first is the one named in errors. */
  regions: readonly string[];
  lookupSecret: SecretLookup;
  maxClockSkewMs?: number;
  signingKeyCache?: SigningKeyCache;
}

/** Everything the aws-chunked decoder needs to verify chunk signatures. */
export interface SigningContext extends ChunkSigningContext {
  /** The request's own signature, which chunk signatures chain from. */
  seedSignature: string;
}

export interface AnonymousAuth {
  kind: 'anonymous';
}

export interface SignedAuth {
  kind: 'signed';
  via: 'header' | 'presigned';
  accessKeyId: string;
  region: string;
  signedHeaders: readonly string[];
  /** How the body must be checked (hash, unsigned, or aws-chunked). */
  payload: PayloadHashMode;
  /** `x-amz-decoded-content-length`, for aws-chunked bodies. */
  decodedContentLength?: number;
  /** `x-amz-trailer` (lower-case), for the trailer modes. */
  trailer?: string;
  signing: SigningContext;
  /** Presigned URLs only: the instant the URL stops being valid. */
  expiresAt?: Date;
}

export type AuthResult = AnonymousAuth | SignedAuth;

/**
 * Verifies SigV4 on a request's head (header or presigned query auth).
 * The body is not read here: {@link SignedAuth.payload} tells the caller how
 * to check it (payload hash, or the aws-chunked decoder with `signing`).
 */
export class SigV4Verifier {
  private readonly regions: readonly string[];
  private readonly lookupSecret: SecretLookup;
  private readonly maxSkewMs: number;
  private readonly keys: SigningKeyCache;

  constructor(options: SigV4VerifierOptions) {
    if (options.regions.length === 0) throw new RangeError('at least one region is required');
    this.regions = options.regions;
    this.lookupSecret = options.lookupSecret;
    this.maxSkewMs = options.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS;
    this.keys = options.signingKeyCache ?? new SigningKeyCache();
  }

  async verify(request: RequestDescription, now: Date): Promise<AuthResult> {
    const query = parseQuery(request.rawQuery);
    const authorization = headerValue(request.headers, 'authorization');
    const presigned = hasPresignedQuery(query);
    if (authorization !== undefined && presigned) {
      throw new S3Error(
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      );
    }
    if (authorization !== undefined) return this.verifyHeader(request, query, authorization, now);
    if (presigned) return this.verifyPresigned(request, query, now);
    if (query.some(([n]) => n === 'AWSAccessKeyId') && query.some(([n]) => n === 'Signature')) {
      throw new S3Error(
        'InvalidRequest',
        'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      );
    }
    return { kind: 'anonymous' };
  }

  private async verifyHeader(
    request: RequestDescription,
    query: readonly QueryParam[],
    authorization: string,
    now: Date,
  ): Promise<SignedAuth> {
    const auth = parseAuthorizationHeader(authorization);
    const malformed = (message: string, details?: Record<string, string>): S3Error =>
      new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}`, {
        ...(details ? { details } : {}),
      });
    this.checkRegion(auth.credential, (m) => malformed(m, { Region: this.regions[0] as string }));
    if (!auth.signedHeaders.includes('host')) throw malformed("'host' must be a signed header.");

    const { amzDate, date } = requestTime(request);
    if (auth.credential.day !== amzDate.slice(0, 8)) {
      throw malformed('Invalid credential date. Date is not the same as X-Amz-Date.');
    }
    if (Math.abs(now.getTime() - date.getTime()) > this.maxSkewMs) {
      throw new S3Error('RequestTimeTooSkewed', undefined, {
        details: {
          RequestTime: amzDate,
          ServerTime: now.toISOString(),
          MaxAllowedSkewMilliseconds: String(this.maxSkewMs),
        },
      });
    }

    const contentSha256 = headerValue(request.headers, 'x-amz-content-sha256');
    if (contentSha256 === undefined) {
      throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    }
    const payload = parsePayloadHash(contentSha256);

    // An unsigned x-amz-* header could be injected by anyone on the path
    // (metadata, copy source, ACL): S3 refuses such requests, so do we.
    const unsigned = Object.keys(request.headers).filter(
      (name) => name.startsWith('x-amz-') && !auth.signedHeaders.includes(name),
    );
    if (unsigned.length > 0) {
      throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
        details: { HeadersNotSigned: unsigned.sort().join(', ') },
      });
    }

    const secret = await this.secretFor(auth.credential);
    const signingKey = this.keys.signingKey(
      auth.credential.accessKeyId,
      secret,
      auth.credential.day,
      auth.credential.region,
    );
    const canonical = canonicalRequest({
      method: request.method,
      rawPath: request.rawPath,
      query,
      headers: request.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: contentSha256,
    });
    const toSign = stringToSign(amzDate, auth.credential.scope, canonical);
    const expected = signatureOf(signingKey, toSign);
    if (!signaturesEqual(expected, auth.signature)) throw signatureMismatch(toSign, canonical);

    return {
      kind: 'signed',
      via: 'header',
      accessKeyId: auth.credential.accessKeyId,
      region: auth.credential.region,
      signedHeaders: auth.signedHeaders,
      payload,
      ...streamingHeaders(request, payload),
      signing: { signingKey, amzDate, scope: auth.credential.scope, seedSignature: expected },
    };
  }

  private async verifyPresigned(
    request: RequestDescription,
    query: readonly QueryParam[],
    now: Date,
  ): Promise<SignedAuth> {
    const pq = parsePresignedQuery(query);
    const queryError = (message: string): S3Error => new S3Error('AuthorizationQueryParametersError', message);
    this.checkRegion(pq.credential, (m) => queryError(`Error parsing the X-Amz-Credential parameter; ${m}`));
    if (!pq.signedHeaders.includes('host')) throw queryError("'host' must be a signed header.");
    if (pq.credential.day !== pq.amzDate.slice(0, 8)) {
      throw queryError('Invalid credential date. Date is not the same as X-Amz-Date.');
    }
    if (pq.securityToken !== undefined) {
      // Platter issues no temporary credentials, so no token can be valid.
      throw new S3Error('InvalidToken');
    }
    const nowMs = now.getTime();
    if (pq.date.getTime() - nowMs > this.maxSkewMs) {
      throw new S3Error('AccessDenied', 'Request is not valid yet');
    }
    const expiresAt = new Date(pq.date.getTime() + pq.expiresSeconds * 1000);
    if (nowMs > expiresAt.getTime()) {
      throw new S3Error('AccessDenied', 'Request has expired', {
        details: {
          'X-Amz-Expires': String(pq.expiresSeconds),
          Expires: expiresAt.toISOString(),
          ServerTime: now.toISOString(),
        },
      });
    }
    // A presigned request may carry x-amz-content-sha256 as a header or
    // hoisted into the query (the AWS SDK presigner hoists it); otherwise the
    // payload is unsigned by definition.
    const contentSha256 =
      headerValue(request.headers, 'x-amz-content-sha256') ??
      query.find(([name]) => name.toLowerCase() === 'x-amz-content-sha256')?.[1] ??
      UNSIGNED_PAYLOAD;
    const payload = parsePayloadHash(contentSha256);
    if (payload.kind === 'streaming-signed') {
      throw new S3Error('InvalidRequest', 'aws-chunked signed payloads require Authorization header signing.');
    }

    const secret = await this.secretFor(pq.credential);
    const signingKey = this.keys.signingKey(pq.credential.accessKeyId, secret, pq.credential.day, pq.credential.region);
    const canonical = canonicalRequest({
      method: request.method,
      rawPath: request.rawPath,
      query,
      headers: request.headers,
      signedHeaders: pq.signedHeaders,
      payloadHash: contentSha256,
      excludeQuery: PRESIGNED_SIGNATURE_PARAM,
    });
    const toSign = stringToSign(pq.amzDate, pq.credential.scope, canonical);
    const expected = signatureOf(signingKey, toSign);
    if (!signaturesEqual(expected, pq.signature)) throw signatureMismatch(toSign, canonical);

    return {
      kind: 'signed',
      via: 'presigned',
      accessKeyId: pq.credential.accessKeyId,
      region: pq.credential.region,
      signedHeaders: pq.signedHeaders,
      payload,
      ...streamingHeaders(request, payload),
      signing: { signingKey, amzDate: pq.amzDate, scope: pq.credential.scope, seedSignature: expected },
      expiresAt,
    };
  }

  private checkRegion(credential: Credential, fail: (message: string) => S3Error): void {
    if (!this.regions.includes(credential.region)) {
      throw fail(`the region '${credential.region}' is wrong; expecting '${this.regions[0] as string}'`);
    }
  }

  private async secretFor(credential: Credential): Promise<string> {
    const secret = await this.lookupSecret(credential.accessKeyId);
    if (secret === undefined) throw new S3Error('InvalidAccessKeyId');
    return secret;
  }
}

/**
 * The request time from `x-amz-date`, or from `Date` when that is absent
 * (SigV4 allows either; the string to sign always uses the basic format).
 */
function requestTime(request: RequestDescription): { amzDate: string; date: Date } {
  const amz = headerValue(request.headers, 'x-amz-date');
  if (amz !== undefined) {
    const date = parseAmzDate(amz);
    if (!date) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    return { amzDate: amz, date };
  }
  const http = headerValue(request.headers, 'date');
  const date = http === undefined ? undefined : parseHttpDate(http);
  if (!date) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  return { amzDate: formatAmzDate(date), date };
}

function streamingHeaders(
  request: RequestDescription,
  payload: PayloadHashMode,
): { decodedContentLength?: number; trailer?: string } {
  if (payload.kind !== 'streaming-signed' && payload.kind !== 'streaming-unsigned-trailer') return {};
  const out: { decodedContentLength?: number; trailer?: string } = {};
  const decoded = headerValue(request.headers, 'x-amz-decoded-content-length');
  if (decoded === undefined) {
    // Signed chunks have no other way to learn the object size up front.
    if (payload.kind === 'streaming-signed') throw new S3Error('MissingContentLength');
  } else {
    if (!/^\d{1,16}$/.test(decoded) || !Number.isSafeInteger(Number(decoded))) {
      throw new S3Error('InvalidArgument', 'x-amz-decoded-content-length is not a valid length', {
        details: { ArgumentName: 'x-amz-decoded-content-length', ArgumentValue: decoded },
      });
    }
    out.decodedContentLength = Number(decoded);
  }
  const trailer = headerValue(request.headers, 'x-amz-trailer');
  if (trailer !== undefined) out.trailer = trailer.trim().toLowerCase();
  return out;
}

// S3 returns what it signed so a client author can diff it with theirs; it
// reveals nothing secret (the key never enters either string).
function signatureMismatch(toSign: string, canonical: string): S3Error {
  return new S3Error('SignatureDoesNotMatch', undefined, {
    details: { StringToSign: toSign, CanonicalRequest: canonical },
  });
}
