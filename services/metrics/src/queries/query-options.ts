import { InvalidArgumentError } from '@sightline/errors';

/** The limits of the query RPCs (ComputeMetrics, CompareVersions); every one a CLI flag. */
export interface QueryOptions {
  /** --max-compute-pairs: most pairs one ComputeMetrics call evaluates (default 1000000). */
  readonly maxComputePairs: number;
  /** --max-compute-probabilities: most probability values one ComputeMetrics call carries (default 10000000). */
  readonly maxComputeProbabilities: number;
  /** --max-comparison-pairs: most paired rows one CompareVersions call reads (default 1000000). */
  readonly maxComparisonPairs: number;
  /** --max-bootstrap-pairs: most paired rows a bootstrap comparison resamples (default 100000). */
  readonly maxBootstrapPairs: number;
}

export const DEFAULT_QUERY_OPTIONS: QueryOptions = {
  maxComputePairs: 1_000_000,
  maxComputeProbabilities: 10_000_000,
  maxComparisonPairs: 1_000_000,
  maxBootstrapPairs: 100_000,
};

const FLAG_NAMES: Record<keyof QueryOptions, string> = {
  maxComputePairs: '--max-compute-pairs',
  maxComputeProbabilities: '--max-compute-probabilities',
  maxComparisonPairs: '--max-comparison-pairs',
  maxBootstrapPairs: '--max-bootstrap-pairs',
};

/**
 * The query limits with defaults filled in.
 * @throws InvalidArgumentError naming the flag of a limit that is not a positive safe integer.
 */
export function resolveQueryOptions(partial: Partial<QueryOptions> = {}): QueryOptions {
  const options = { ...DEFAULT_QUERY_OPTIONS, ...partial };
  for (const key of Object.keys(FLAG_NAMES) as (keyof QueryOptions)[]) {
    const value = options[key];
    if (!(Number.isSafeInteger(value) && value > 0)) {
      throw new InvalidArgumentError(`${FLAG_NAMES[key]}: must be a positive integer, got ${value}`);
    }
  }
  return options;
}
