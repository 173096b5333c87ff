/** Count, mean and the percentiles a benchmark table shows, in the unit of the samples. */
export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The p-th percentile (0 < p <= 100) of samples already sorted in ascending order, by the
 * nearest-rank method: the smallest sample that at least p % of all samples do not exceed.
 * NaN for no samples.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** The p-th percentile of samples in any order (see percentileOfSorted). */
export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted(sortedCopy(samples), p);
}

/** Summarises samples in any order; every figure is NaN when there are none. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = sortedCopy(samples);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

function sortedCopy(samples: readonly number[]): number[] {
  // A typed array sorts numerically (and fast) without a comparator.
  return Array.from(Float64Array.from(samples).sort());
}
