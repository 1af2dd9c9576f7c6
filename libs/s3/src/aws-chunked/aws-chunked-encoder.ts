import { sha256Hex } from '../sigv4/canonical-request.js';
import { chunkSignature, trailerSignature } from '../sigv4/chunk-signature.js';
import type { SigningContext } from '../sigv4/verifier.js';

export interface AwsChunkedEncodeOptions {
  /** Sign each chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]); unsigned when absent. */
  signing?: SigningContext;
  /** Trailing headers (lower-case names) written after the final chunk. */
  trailers?: Readonly<Record<string, string>>;
}

/**
 * Frames data chunks as an `aws-chunked` body, the way SDKs do. For tests and
 * tools that talk to a Platter frontend; the frontend itself only decodes.
 */
export function encodeAwsChunked(chunks: readonly Uint8Array[], options: AwsChunkedEncodeOptions = {}): Buffer {
  const out: Buffer[] = [];
  let previous = options.signing?.seedSignature ?? '';
  const header = (size: number, data: Uint8Array): string => {
    if (!options.signing) return `${size.toString(16)}\r\n`;
    previous = chunkSignature(options.signing, previous, sha256Hex(data));
    return `${size.toString(16)};chunk-signature=${previous}\r\n`;
  };
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    out.push(Buffer.from(header(chunk.length, chunk)), Buffer.from(chunk), Buffer.from('\r\n'));
  }
  out.push(Buffer.from(header(0, new Uint8Array(0))));
  const trailers = Object.entries(options.trailers ?? {});
  if (trailers.length > 0) {
    let canonical = '';
    for (const [name, value] of trailers) {
      out.push(Buffer.from(`${name}:${value}\r\n`));
      canonical += `${name}:${value}\n`;
    }
    if (options.signing) {
      const signature = trailerSignature(options.signing, previous, sha256Hex(canonical));
      out.push(Buffer.from(`x-amz-trailer-signature:${signature}\r\n`));
    }
  }
  out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}
