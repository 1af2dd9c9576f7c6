// Codec ids are recorded per cluster at creation and never change meaning:
// every shard on disk was written with the matrix its id names.

/**
 * Systematic Reed-Solomon over GF(2^8) (polynomial 0x11d) whose parity rows
 * are the Cauchy matrix a[i][j] = 1 / (i XOR j), i in [k, k+m), j in [0, k) —
 * the matrix ISA-L's `gf_gen_cauchy1_matrix` builds. Defined by
 * `cauchy-matrix.ts`, so any implementation (ISA-L, pure TS) produces the same bytes.
 */
export const RS_CAUCHY_GF256 = 'rs-cauchy-gf256';

/**
 * Whatever `@ronomon/reed-solomon` 6.0.0 computes: a Cauchy bit-matrix with a
 * word size it picks per (k, m) from its own parameter table. Only that
 * package implements it, so the id names the implementation.
 */
export const RS_GF256_RONOMON = 'rs-gf256-ronomon';

export const CODEC_IDS = [RS_CAUCHY_GF256, RS_GF256_RONOMON] as const;

export type CodecId = (typeof CODEC_IDS)[number];

export function isCodecId(value: string): value is CodecId {
  return (CODEC_IDS as readonly string[]).includes(value);
}
