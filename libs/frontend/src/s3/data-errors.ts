import { commonV1 } from '@platter/proto';
import { Code, errorReason, RpcError } from '@platter/rpc';
import { S3Error } from '@platter/s3';
import { PartUnreadableError } from '../data/part-reader.js';
import { WriteQuorumError } from '../data/part-writer.js';

// The one place where a data-path failure becomes an S3 error. Too few disks
// to write to, or too few shards to read from, is the service being unable
// to serve now (503, the client may retry), never a wrong answer.

export function s3ErrorOfDataPath(err: unknown): unknown {
  if (err instanceof S3Error) return err;
  if (err instanceof WriteQuorumError)
    return new S3Error('ServiceUnavailable', 'Too few storage nodes accepted the data; please retry.', { cause: err });
  if (err instanceof PartUnreadableError)
    return new S3Error('ServiceUnavailable', 'Too few storage nodes can serve the data now; please retry.', {
      cause: err,
    });
  if (err instanceof RpcError) {
    const insufficient = errorReason(err) === commonV1.ErrorReason.INSUFFICIENT_DISKS;
    if (
      insufficient ||
      err.code === Code.UNAVAILABLE ||
      err.code === Code.DEADLINE_EXCEEDED ||
      err.code === Code.FAILED_PRECONDITION
    )
      return new S3Error('ServiceUnavailable', 'Not enough writable disks or placement is unreachable; please retry.', {
        cause: err,
      });
  }
  return err;
}
