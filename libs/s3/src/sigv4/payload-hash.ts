import { S3Error } from '../errors.js';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** SHA-256 of the empty string, the payload hash of a body-less request. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** How the body is protected, from `x-amz-content-sha256`. */
export type PayloadHashMode =
  | { kind: 'sha256'; hex: string }
  | { kind: 'unsigned' }
  | { kind: 'streaming-signed'; trailer: boolean }
  | { kind: 'streaming-unsigned-trailer' };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Classifies an `x-amz-content-sha256` value; anything else is `InvalidArgument`. */
export function parsePayloadHash(value: string): PayloadHashMode {
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_SIGNED_PAYLOAD:
      return { kind: 'streaming-signed', trailer: false };
    case STREAMING_SIGNED_PAYLOAD_TRAILER:
      return { kind: 'streaming-signed', trailer: true };
    case STREAMING_UNSIGNED_PAYLOAD_TRAILER:
      return { kind: 'streaming-unsigned-trailer' };
    default: {
      const hex = value.toLowerCase();
      if (HEX_SHA256.test(hex)) return { kind: 'sha256', hex };
      throw new S3Error(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
        { details: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value } },
      );
    }
  }
}

/** True for the modes whose body is `aws-chunked` framed. */
export function isStreamingPayload(mode: PayloadHashMode): boolean {
  return mode.kind === 'streaming-signed' || mode.kind === 'streaming-unsigned-trailer';
}
