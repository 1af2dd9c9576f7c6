// One closed family of errors for the codec boundary. Callers (frontend, repair)
// switch on `code`: TOO_FEW_SHARDS means "fetch more shards or declare the
// stripe lost", every other code is a programming or deployment error.

export type ErasureErrorCode =
  'TOO_FEW_SHARDS' | 'BAD_SHARD_SIZE' | 'BAD_SHARD_INDEX' | 'BAD_GEOMETRY' | 'UNKNOWN_CODEC' | 'CODEC_UNAVAILABLE';

export abstract class ErasureError extends Error {
  abstract readonly code: ErasureErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Fewer than k shards are present: the stripe cannot be decoded from what was given. */
export class TooFewShardsError extends ErasureError {
  readonly code = 'TOO_FEW_SHARDS' as const;
  constructor(
    readonly present: number,
    readonly k: number,
  ) {
    super(`${present} shards present, at least ${k} needed`);
  }
}

/** Shards of one stripe differ in length, are empty, or break the codec's alignment. */
export class ShardSizeError extends ErasureError {
  readonly code = 'BAD_SHARD_SIZE' as const;
}

/** Wrong number of shard buffers, or a present/target index that is out of range or repeated. */
export class ShardIndexError extends ErasureError {
  readonly code = 'BAD_SHARD_INDEX' as const;
}

/** k or m outside what the codec supports. */
export class GeometryError extends ErasureError {
  readonly code = 'BAD_GEOMETRY' as const;
}

/** A codec id this build does not know: never guess a format for existing shards. */
export class UnknownCodecError extends ErasureError {
  readonly code = 'UNKNOWN_CODEC' as const;
  constructor(readonly codecId: string) {
    super(`unknown erasure codec id ${JSON.stringify(codecId)}`);
  }
}

/** The codec id is known but no implementation of it can be loaded on this machine. */
export class CodecUnavailableError extends ErasureError {
  readonly code = 'CODEC_UNAVAILABLE' as const;
  constructor(
    readonly codecId: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`erasure codec ${JSON.stringify(codecId)} is unavailable: ${reason}`, options);
  }
}
