import { describe, expect, it } from 'vitest';
import { isS3Error, S3_ERRORS, S3Error, s3ErrorStatus, type S3ErrorCode } from './errors.js';

describe('S3Error', () => {
  it('carries code, status, S3 default message and details', () => {
    const e = new S3Error('NoSuchBucket', undefined, { details: { BucketName: 'b' } });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('S3Error');
    expect(e.code).toBe('NoSuchBucket');
    expect(e.status).toBe(404);
    expect(e.message).toBe('The specified bucket does not exist');
    expect(e.details).toEqual({ BucketName: 'b' });
    expect(isS3Error(e)).toBe(true);
    expect(isS3Error(new Error('x'))).toBe(false);
  });

  it('keeps a custom message and the cause', () => {
    const cause = new Error('inner');
    const e = new S3Error('InvalidArgument', 'bad max-keys', { cause });
    expect(e.message).toBe('bad max-keys');
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({});
  });

  it('maps every code Platter answers to the status S3 uses', () => {
    const expected: Partial<Record<S3ErrorCode, number>> = {
      AccessDenied: 403,
      SignatureDoesNotMatch: 403,
      InvalidAccessKeyId: 403,
      RequestTimeTooSkewed: 403,
      AuthorizationHeaderMalformed: 400,
      AuthorizationQueryParametersError: 400,
      ExpiredToken: 400,
      NoSuchBucket: 404,
      NoSuchKey: 404,
      NoSuchUpload: 404,
      NoSuchVersion: 404,
      BucketAlreadyExists: 409,
      BucketAlreadyOwnedByYou: 409,
      BucketNotEmpty: 409,
      InvalidBucketName: 400,
      KeyTooLongError: 400,
      MetadataTooLarge: 400,
      EntityTooSmall: 400,
      EntityTooLarge: 400,
      InvalidPart: 400,
      InvalidPartOrder: 400,
      InvalidRange: 416,
      PreconditionFailed: 412,
      NotModified: 304,
      ConditionalRequestConflict: 409,
      MalformedXML: 400,
      InvalidArgument: 400,
      InvalidRequest: 400,
      InvalidDigest: 400,
      BadDigest: 400,
      XAmzContentSHA256Mismatch: 400,
      IncompleteBody: 400,
      MissingContentLength: 411,
      RequestHeaderSectionTooLarge: 400,
      MethodNotAllowed: 405,
      NotImplemented: 501,
      AccessControlListNotSupported: 400,
      InvalidBucketAclWithObjectOwnership: 400,
      InternalError: 500,
      ServiceUnavailable: 503,
      SlowDown: 503,
      RequestTimeout: 400,
      InvalidObjectName: 400,
    };
    for (const [code, status] of Object.entries(expected)) {
      expect(s3ErrorStatus(code as S3ErrorCode), code).toBe(status);
    }
  });

  it('every table entry has a plausible status and a non-empty message', () => {
    for (const [code, [status, message]] of Object.entries(S3_ERRORS)) {
      expect(status, code).toBeGreaterThanOrEqual(300);
      expect(status, code).toBeLessThan(600);
      expect(message.length, code).toBeGreaterThan(0);
    }
  });
});
