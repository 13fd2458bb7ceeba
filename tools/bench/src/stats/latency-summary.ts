/** Latency percentiles of one measured run, in milliseconds. */
export interface LatencySummary {
  /** Samples the figures are computed from. */
  readonly count: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * The p-th percentile of ascending `sorted[0..count)` by the nearest-rank method: the
 * smallest sample such that at least p% of the samples are less than or equal to it. Exact
 * (no interpolation, no histogram buckets), so a reported p99 is a latency that was seen.
 * NaN when there are no samples.
 */
export function percentileOfSorted(sorted: Float64Array, count: number, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: expected 0 <= p <= 100, got ${p}`);
  if (count > sorted.length)
    throw new RangeError(`percentile: count ${count} exceeds ${sorted.length} samples`);
  if (count === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * count));
  return sorted[rank - 1]!;
}

/**
 * Sorts the first `count` samples of `samples` in place and summarises them. Sorting the
 * whole run once is cheap next to the run itself (a few hundred thousand doubles) and keeps
 * the percentiles exact.
 */
export function summarizeLatencies(samples: Float64Array, count = samples.length): LatencySummary {
  const sorted = samples.subarray(0, count).sort();
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  return {
    count,
    minMs: count === 0 ? Number.NaN : sorted[0]!,
    meanMs: count === 0 ? Number.NaN : sum / count,
    p50Ms: percentileOfSorted(sorted, count, 50),
    p90Ms: percentileOfSorted(sorted, count, 90),
    p99Ms: percentileOfSorted(sorted, count, 99),
    maxMs: count === 0 ? Number.NaN : sorted[count - 1]!,
  };
}
