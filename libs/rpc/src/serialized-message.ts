/**
 * What grpc-js does with a serialized message, and all it does (1.14:
 * `compression-filter.ts` on the client, `server-interceptors.ts` on the
 * server): read its length and copy it, once, into the frame it sends.
 * A Buffer is one; so is a BulkFrame.
 */
export interface SerializedMessage {
  readonly length: number;
  readonly byteLength: number;
  copy(target: Uint8Array, targetStart?: number): number;
}

/** A Buffer over the same memory (no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
