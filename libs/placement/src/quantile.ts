/**
 * The q-quantile (0 ≤ q ≤ 1, nearest rank) of the first `n` values of
 * `scratch`, which it reorders: Hoare's selection, O(n) expected, no sort
 * and no allocation. Used once per heat refresh over the whole fleet.
 */
export function selectQuantile(scratch: Float64Array, n: number, q: number): number {
  if (n <= 0) return Number.NaN;
  const k = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = scratch[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((scratch[i] as number) < pivot) i++;
      while ((scratch[j] as number) > pivot) j--;
      if (i <= j) {
        const t = scratch[i] as number;
        scratch[i] = scratch[j] as number;
        scratch[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return scratch[k] as number;
}
