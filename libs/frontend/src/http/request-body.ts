import { createAwsChunkedDecoder, S3Error, type SignedAuth, type TrailerChecksum } from '@platter/s3';
import type { S3Call } from './s3-call.js';

// The bytes of a request body, as the signature says to read them: a plain
// body with its SHA-256 checked (or unsigned), or an aws-chunked body decoded
// (chunk signatures and trailing checksums checked by the decoder). The size
// is known before the first byte, as S3 requires. A body shorter than its
// declared size fails where it is consumed (the data path counts bytes).

/** S3's largest single PUT. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

export interface RequestBody {
  readonly size: number;
  readonly chunks: AsyncIterable<Uint8Array>;
  /** The signed SHA-256 of the body, which the reader must check (with the ETag's MD5, off the loop). */
  readonly sha256Hex?: string;
  /** The trailing checksum of an aws-chunked body, verified by the decoder; known once `chunks` ended. */
  trailerChecksum?(): TrailerChecksum | undefined;
}

export function requestBody(call: S3Call, maxBytes = MAX_PUT_BYTES): RequestBody {
  const { req, auth } = call;
  const payload = auth.payload;
  if (payload.kind === 'streaming-signed' || payload.kind === 'streaming-unsigned-trailer') {
    const size = auth.decodedContentLength;
    if (size === undefined) throw new S3Error('MissingContentLength');
    checkSize(size, maxBytes);
    const decoder = createAwsChunkedDecoder(auth as SignedAuth);
    req.pipe(decoder);
    req.once('error', (err) => decoder.destroy(err));
    return { size, chunks: decoder, trailerChecksum: () => decoder.checksum };
  }
  const header = req.headers['content-length'];
  if (header === undefined) throw new S3Error('MissingContentLength');
  const size = Number(header);
  if (!/^\d+$/.test(header) || !Number.isSafeInteger(size)) throw new S3Error('InvalidArgument', 'Bad Content-Length.');
  checkSize(size, maxBytes);
  if (payload.kind === 'unsigned') return { size, chunks: req };
  return { size, chunks: req, sha256Hex: payload.hex };
}

function checkSize(size: number, max: number): void {
  if (size > max)
    throw new S3Error('EntityTooLarge', undefined, {
      details: { ProposedSize: String(size), MaxSizeAllowed: String(max) },
    });
}
