/** One cumulative bucket of a latency histogram: observations ≤ `le` seconds. */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/**
 * The q-quantile (0..1) of the observations between two cumulative snapshots
 * of the same histogram, interpolated linearly inside the bucket it falls in
 * (as Prometheus' histogram_quantile does). Undefined when nothing was
 * observed in between; the top bound when it falls past the last bucket.
 */
export function quantileBetween(
  before: readonly CumulativeBucket[] | undefined,
  after: readonly CumulativeBucket[],
  total: number,
  q: number,
): number | undefined {
  if (total <= 0 || after.length === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (let i = 0; i < after.length; i++) {
    const b = after[i]!;
    const count = b.count - (before?.[i]?.count ?? 0);
    if (count >= rank) {
      const inBucket = count - lowerCount;
      const fraction = inBucket > 0 ? (rank - lowerCount) / inBucket : 1;
      return lowerBound + (b.le - lowerBound) * Math.min(1, Math.max(0, fraction));
    }
    lowerBound = b.le;
    lowerCount = count;
  }
  return after[after.length - 1]!.le;
}

/** Sums cumulative bucket lists of the same bounds (several operations into one distribution). */
export function sumBuckets(lists: ReadonlyArray<readonly CumulativeBucket[] | undefined>): CumulativeBucket[] {
  const first = lists.find((l) => l !== undefined && l.length > 0);
  if (first === undefined) return [];
  return first.map((b, i) => ({ le: b.le, count: lists.reduce((sum, l) => sum + (l?.[i]?.count ?? 0), 0) }));
}
