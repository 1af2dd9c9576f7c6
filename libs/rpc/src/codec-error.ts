/**
 * A message could not be encoded or decoded. grpc-js turns a throw from a
 * serializer into INTERNAL on the call, so this error never reaches a peer;
 * it exists so that a decoder fed garbage fails with one known type.
 */
export class MessageCodecError extends Error {
  override readonly name = 'MessageCodecError';

  constructor(
    readonly typeName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${typeName}: ${message}`, options);
  }
}
