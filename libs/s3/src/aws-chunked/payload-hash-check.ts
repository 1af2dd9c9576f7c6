import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { signaturesEqual } from '../sigv4/constant-time.js';
import { S3Error } from '../errors.js';

/**
 * A pass-through that hashes a body whose SHA-256 was signed in
 * `x-amz-content-sha256` and fails with `XAmzContentSHA256Mismatch` at the
 * end if it differs. Bytes flow before the check completes (a single-chunk
 * body cannot be verified earlier without buffering it whole): the caller
 * must not commit the object until this stream has ended without error.
 */
export function createPayloadHashCheck(expectedHex: string): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = hash.digest('hex');
      if (!signaturesEqual(actual, expectedHex.toLowerCase())) {
        callback(
          new S3Error('XAmzContentSHA256Mismatch', undefined, {
            details: { ClientComputedContentSHA256: expectedHex, S3ComputedContentSHA256: actual },
          }),
        );
        return;
      }
      callback();
    },
  });
}
