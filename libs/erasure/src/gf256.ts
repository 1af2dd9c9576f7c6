// Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d),
// generator 2 — the field ISA-L, Jerasure and most storage RS codes use.
// Part of the rs-cauchy-gf256 format: changing it changes every parity byte.

/** The reduction polynomial (bit 8 set), as ISA-L's gf_mul uses. */
export const GF256_POLY = 0x11d;

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF256_POLY;
  }
  // Doubled so mul can index EXP[log a + log b] without a modulo.
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError('0 has no inverse in GF(2^8)');
  return EXP[255 - LOG[a]!]!;
}

/** Row `c` (256 bytes) of the multiplication table: c·x for every x. */
export function gfMulTable(c: number): Uint8Array {
  const row = new Uint8Array(256);
  for (let x = 0; x < 256; x++) row[x] = gfMul(c, x);
  return row;
}

/**
 * Inverts an n×n row-major matrix by Gauss-Jordan elimination.
 * Returns undefined when singular (never for a square submatrix of our Cauchy encode matrix).
 */
export function gfInvertMatrix(matrix: Uint8Array, n: number): Uint8Array | undefined {
  const a = Uint8Array.from(matrix);
  const inv = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot * n + col] === 0) pivot++;
    if (pivot === n) return undefined;
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        swap(a, pivot * n + j, col * n + j);
        swap(inv, pivot * n + j, col * n + j);
      }
    }
    const scale = gfInv(a[col * n + col]!);
    for (let j = 0; j < n; j++) {
      a[col * n + j] = gfMul(a[col * n + j]!, scale);
      inv[col * n + j] = gfMul(inv[col * n + j]!, scale);
    }
    for (let row = 0; row < n; row++) {
      const f = a[row * n + col]!;
      if (row === col || f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[row * n + j] = a[row * n + j]! ^ gfMul(f, a[col * n + j]!);
        inv[row * n + j] = inv[row * n + j]! ^ gfMul(f, inv[col * n + j]!);
      }
    }
  }
  return inv;
}

function swap(a: Uint8Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
