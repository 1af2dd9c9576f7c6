import { createAwsChunkedDecoder, S3Error, type SignedAuth, type TrailerChecksum } from '@platter/s3';
import type { S3Call } from './s3-call.js';

// The bytes of a request body, as the signature says to read them: a plain
// body with its SHA-256 checked (or unsigned), or an aws-chunked body decoded
// (chunk signatures and trailing checksums checked by the decoder). The size
// is known before the first byte, as S3 requires. A body shorter than its
// declared size fails where it is consumed (the data path counts bytes).

/** S3's largest single PUT. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

/**
 * A plain body sent with `Transfer-Encoding: chunked` and no length is read
 * into memory up to this many bytes (a stripe layout needs the size before
 * the first byte); a longer one is MissingContentLength, as S3 answers.
 * 64 KiB: enough for the small objects such clients send, well under a stripe.
 */
export const MAX_UNSIZED_BODY_BYTES = 64 * 1024;

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

/**
 * {@link requestBody}, and also a small plain body without Content-Length
 * (`Transfer-Encoding: chunked`), read whole to learn its size.
 */
export async function sizedRequestBody(call: S3Call, maxBytes = MAX_PUT_BYTES): Promise<RequestBody> {
  const { req, auth } = call;
  const chunked = /\bchunked\b/i.test(String(req.headers['transfer-encoding'] ?? ''));
  const plain = auth.payload.kind !== 'streaming-signed' && auth.payload.kind !== 'streaming-unsigned-trailer';
  if (!plain || !chunked || req.headers['content-length'] !== undefined) return requestBody(call, maxBytes);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > Math.min(maxBytes, MAX_UNSIZED_BODY_BYTES)) {
      req.destroy();
      throw new S3Error('MissingContentLength');
    }
    parts.push(chunk);
  }
  const bytes = Buffer.concat(parts, size);
  const chunks = (async function* () {
    yield bytes;
  })();
  return auth.payload.kind === 'sha256' ? { size, chunks, sha256Hex: auth.payload.hex } : { size, chunks };
}

function checkSize(size: number, max: number): void {
  if (size > max)
    throw new S3Error('EntityTooLarge', undefined, {
      details: { ProposedSize: String(size), MaxSizeAllowed: String(max) },
    });
}
