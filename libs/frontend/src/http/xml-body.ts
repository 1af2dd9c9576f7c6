import { createHash } from 'node:crypto';
import { readCappedBody, S3Error } from '@platter/s3';
import { requestBody } from './request-body.js';
import type { S3Call } from './s3-call.js';

// Small XML request bodies (CompleteMultipartUpload, Delete, bucket
// configuration): capped while read, before a byte is parsed, and checked
// against the signed payload hash (small enough to hash here).

export async function readXmlBody(call: S3Call, maxBytes: number): Promise<Buffer> {
  const body = requestBody(call, Number.MAX_SAFE_INTEGER);
  if (body.size > maxBytes) throw new S3Error('MaxMessageLengthExceeded');
  const bytes = await readCappedBody(body.chunks, maxBytes);
  if (bytes.length !== body.size) throw new S3Error('IncompleteBody');
  if (body.sha256Hex !== undefined && createHash('sha256').update(bytes).digest('hex') !== body.sha256Hex)
    throw new S3Error('XAmzContentSHA256Mismatch');
  return bytes;
}
