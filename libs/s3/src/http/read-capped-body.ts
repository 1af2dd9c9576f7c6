import { S3Error } from '../errors.js';

/**
 * Reads a whole (small) request body, failing with `MaxMessageLengthExceeded`
 * as soon as it passes `maxBytes` — before buffering the excess. For XML
 * request documents only; object data is streamed, never read this way.
 */
export async function readCappedBody(body: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf =
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    total += buf.length;
    if (total > maxBytes) throw new S3Error('MaxMessageLengthExceeded');
    parts.push(buf);
  }
  return Buffer.concat(parts, total);
}
