/** Mean and order statistics of a set of values. */
export interface Distribution {
  mean: number;
  min: number;
  p01: number;
  p50: number;
  p99: number;
  max: number;
}

/** Summarises the first n values of `scratch` (which it sorts in place). */
export function distribution(scratch: Float64Array, n: number): Distribution {
  if (n === 0) return { mean: 0, min: 0, p01: 0, p50: 0, p99: 0, max: 0 };
  const values = scratch.subarray(0, n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  values.sort();
  const at = (q: number): number => values[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] as number;
  return {
    mean: sum / n,
    min: values[0] as number,
    p01: at(0.01),
    p50: at(0.5),
    p99: at(0.99),
    max: values[n - 1] as number,
  };
}

/** value / mean, or 0 for an empty or all-zero set (a ratio of nothing is reported as 0, not NaN). */
export function overMean(value: number, mean: number): number {
  return mean > 0 ? value / mean : 0;
}
