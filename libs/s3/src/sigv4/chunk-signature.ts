import { signatureOf } from './canonical-request.js';
import { EMPTY_SHA256 } from './payload-hash.js';

/** What a chunk signature is chained from: the seed request's key, time and scope. */
export interface ChunkSigningContext {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
}

export const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';

/** Signature of one aws-chunked chunk, given the previous signature and the chunk's SHA-256 (hex). */
export function chunkSignature(ctx: ChunkSigningContext, previousSignature: string, chunkSha256Hex: string): string {
  return signatureOf(
    ctx.signingKey,
    `${CHUNK_ALGORITHM}\n${ctx.amzDate}\n${ctx.scope}\n${previousSignature}\n${EMPTY_SHA256}\n${chunkSha256Hex}`,
  );
}

/**
 * Signature of the trailer section, chained from the final (empty) chunk's
 * signature, over the SHA-256 (hex) of the canonical trailer text
 * (`name:value\n` per trailing header, signature header excluded).
 */
export function trailerSignature(
  ctx: ChunkSigningContext,
  previousSignature: string,
  trailerSha256Hex: string,
): string {
  return signatureOf(
    ctx.signingKey,
    `${TRAILER_ALGORITHM}\n${ctx.amzDate}\n${ctx.scope}\n${previousSignature}\n${trailerSha256Hex}`,
  );
}
