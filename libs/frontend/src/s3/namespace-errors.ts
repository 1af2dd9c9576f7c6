import { commonV1 } from '@platter/proto';
import { Code, errorReason, RpcError } from '@platter/rpc';
import { S3Error } from '@platter/s3';

// The one place where a namespace refusal becomes an S3 error: the reason in
// the call's ErrorDetail decides, the gRPC code only when there is none.

const R = commonV1.ErrorReason;

export function s3ErrorOfNamespace(err: unknown, resource: { bucket?: string; key?: string }): unknown {
  if (!(err instanceof RpcError)) return err;
  const details = {
    ...(resource.bucket !== undefined ? { BucketName: resource.bucket } : {}),
    ...(resource.key !== undefined ? { Key: resource.key } : {}),
  };
  switch (errorReason(err)) {
    case R.NO_SUCH_BUCKET:
      return new S3Error('NoSuchBucket', undefined, { details });
    case R.NO_SUCH_KEY:
      return new S3Error('NoSuchKey', undefined, { details });
    case R.NO_SUCH_VERSION:
      return new S3Error('NoSuchVersion', undefined, { details });
    case R.NO_SUCH_UPLOAD:
      return new S3Error('NoSuchUpload', undefined, { details });
    case R.BUCKET_ALREADY_EXISTS:
      return new S3Error('BucketAlreadyExists', undefined, { details });
    case R.BUCKET_ALREADY_OWNED_BY_YOU:
      return new S3Error('BucketAlreadyOwnedByYou', undefined, { details });
    case R.BUCKET_NOT_EMPTY:
      return new S3Error('BucketNotEmpty', undefined, { details });
    case R.PRECONDITION_FAILED:
      return new S3Error('PreconditionFailed', undefined, { details });
    case R.INVALID_PART:
      return new S3Error('InvalidPart', undefined, { details });
    case R.INVALID_PART_ORDER:
      return new S3Error('InvalidPartOrder', undefined, { details });
    case R.ENTITY_TOO_SMALL:
      return new S3Error('EntityTooSmall', undefined, { details });
    case R.BAD_DIGEST:
      return new S3Error('BadDigest', undefined, { details });
    default:
      break;
  }
  switch (err.code) {
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED:
    case Code.RESOURCE_EXHAUSTED:
      return new S3Error('ServiceUnavailable', undefined, { cause: err });
    case Code.ABORTED:
      return new S3Error('ConditionalRequestConflict', undefined, { details, cause: err });
    default:
      return new S3Error('InternalError', undefined, { cause: err });
  }
}
