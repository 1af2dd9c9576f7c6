import { GeometryError } from './errors.js';
import { gfInv, gfInvertMatrix, gfMul } from './gf256.js';

/** GF(2^8) has 256 elements; i XOR j must stay distinct and non-zero across rows and columns. */
export const CAUCHY_MAX_SHARDS = 255;

export function checkCauchyGeometry(k: number, m: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || k + m > CAUCHY_MAX_SHARDS)
    throw new GeometryError(
      `rs-cauchy-gf256 needs integers k >= 1, m >= 1, k + m <= ${CAUCHY_MAX_SHARDS}; got k=${k}, m=${m}`,
    );
}

/**
 * The (k+m)×k encode matrix, row-major: identity on top (systematic), then
 * a[i][j] = 1 / (i XOR j) for parity rows i in [k, k+m). This is the on-disk
 * format of rs-cauchy-gf256 and must never change.
 */
export function cauchyEncodeMatrix(k: number, m: number): Uint8Array {
  checkCauchyGeometry(k, m);
  const a = new Uint8Array((k + m) * k);
  for (let i = 0; i < k; i++) a[i * k + i] = 1;
  for (let i = k; i < k + m; i++) for (let j = 0; j < k; j++) a[i * k + j] = gfInv(i ^ j);
  return a;
}

/**
 * Coefficient rows (targets.length × k) that compute each target shard from
 * the k `sources` shards: invert the sources' k×k submatrix of the encode
 * matrix (giving the data), then multiply by the target's encode row.
 */
export function cauchyDecodeRows(
  encode: Uint8Array,
  k: number,
  sources: readonly number[],
  targets: readonly number[],
): Uint8Array {
  const sub = new Uint8Array(k * k);
  sources.forEach((s, r) => sub.set(encode.subarray(s * k, s * k + k), r * k));
  const inv = gfInvertMatrix(sub, k);
  if (inv === undefined) throw new GeometryError(`singular Cauchy submatrix for sources ${sources.join(',')}`);
  const rows = new Uint8Array(targets.length * k);
  targets.forEach((t, r) => {
    for (let j = 0; j < k; j++) {
      let v = 0;
      for (let x = 0; x < k; x++) v ^= gfMul(encode[t * k + x]!, inv[x * k + j]!);
      rows[r * k + j] = v;
    }
  });
  return rows;
}
