export { CODEC_IDS, RS_CAUCHY_GF256, RS_GF256_RONOMON, isCodecId, type CodecId } from './codec-id.js';
export type { CodecImplementation, StripeCodec } from './stripe-codec.js';
export {
  ErasureError,
  TooFewShardsError,
  ShardSizeError,
  ShardIndexError,
  GeometryError,
  UnknownCodecError,
  CodecUnavailableError,
  type ErasureErrorCode,
} from './errors.js';
export { Stripe, StripePool, type StripePoolOptions } from './stripe-pool.js';
export {
  openCodec,
  implementationStatus,
  chooseCodecForNewCluster,
  describeCodec,
  type OpenCodecOptions,
  type ImplementationStatus,
  type CodecChoice,
} from './codec-factory.js';
export { cauchyEncodeMatrix, CAUCHY_MAX_SHARDS } from './cauchy-matrix.js';
export { GF256_POLY } from './gf256.js';
export { ISAL_OFFLOAD_THRESHOLD_BYTES } from './isal-kernel.js';
