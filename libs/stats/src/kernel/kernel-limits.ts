import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { assertFiniteMatrix, type DenseMatrix } from '../matrix.js';

/** Permutations per test unless told otherwise: Alibi Detect's `n_permutations` default. */
export const DEFAULT_PERMUTATIONS = 100;
/** Significance level used for the distance threshold: Alibi Detect's `p_val` default. */
export const DEFAULT_P_VAL = 0.05;
/**
 * Largest pooled sample (reference + test rows) a kernel test accepts by default: the packed
 * pairwise matrix holds n(n-1)/2 doubles, 100 MB at 5,000 rows. Callers may raise it.
 */
export const DEFAULT_MAX_POOLED_ROWS = 5_000;
/**
 * Most permutations accepted by default: MMD keeps a sorted index list per permutation
 * (4 bytes x the smaller sample's rows, 100 MB at 10,000 x 2,500). Callers may raise it.
 */
export const DEFAULT_MAX_PERMUTATIONS = 10_000;
/** The unbiased estimators divide by n(n-1), so each sample needs two rows. */
export const MIN_KERNEL_SAMPLE_ROWS = 2;

/** Shared argument checks of the kernel tests; messages name the argument and the rule. */
export function checkTwoSamples(
  x: DenseMatrix,
  y: DenseMatrix,
  names: readonly [string, string],
  maxPooledRows: number = DEFAULT_MAX_POOLED_ROWS,
): void {
  if (x.cols !== y.cols) {
    throw new InvalidArgumentError(`${names[1]}: expected ${x.cols} columns as ${names[0]}, got ${y.cols}`);
  }
  if (x.cols === 0) throw new InvalidArgumentError(`${names[0]}: at least one column is required`);
  for (const [m, name] of [
    [x, names[0]],
    [y, names[1]],
  ] as const) {
    if (m.rows < MIN_KERNEL_SAMPLE_ROWS) {
      throw new InvalidArgumentError(
        `${name}: at least ${MIN_KERNEL_SAMPLE_ROWS} rows are required, got ${m.rows}`,
      );
    }
  }
  if (x.rows + y.rows > maxPooledRows) {
    throw new ResourceExhaustedError(
      `${names[0]} + ${names[1]}: ${x.rows + y.rows} rows exceed maxPooledRows ${maxPooledRows}; subsample or raise the limit`,
    );
  }
  assertFiniteMatrix(x, names[0]);
  assertFiniteMatrix(y, names[1]);
}

/** Checks permutation-test options shared by MMD and LSDD. */
export function checkPermutationOptions(
  permutations: number,
  pVal: number,
  seed: number,
  maxPermutations: number = DEFAULT_MAX_PERMUTATIONS,
): void {
  if (!Number.isInteger(permutations) || permutations < 1) {
    throw new InvalidArgumentError(`permutations: expected a positive integer, got ${permutations}`);
  }
  if (permutations > maxPermutations) {
    throw new ResourceExhaustedError(
      `permutations: ${permutations} exceed maxPermutations ${maxPermutations}; raise the limit if memory allows`,
    );
  }
  if (!(pVal > 0 && pVal < 1))
    throw new InvalidArgumentError(`pVal: expected a number in (0, 1), got ${pVal}`);
  if (!Number.isInteger(seed)) throw new InvalidArgumentError(`seed: expected an integer, got ${seed}`);
}

/** Checks an explicit bandwidth. */
export function checkSigma(sigma: number): void {
  if (!(Number.isFinite(sigma) && sigma > 0)) {
    throw new InvalidArgumentError(`sigma: expected a positive finite number, got ${sigma}`);
  }
}

/**
 * The permutation p-value and distance threshold exactly as Alibi Detect computes them: p is
 * the fraction of permuted statistics >= the observed one; the threshold is the permuted
 * statistics sorted descending at index floor(pVal * permutations), i.e. their (1 - pVal)
 * quantile.
 */
export function permutationVerdict(
  observed: number,
  permuted: Float64Array,
  pVal: number,
): { pValue: number; distanceThreshold: number } {
  let atLeast = 0;
  for (let p = 0; p < permuted.length; p++) if (permuted[p]! >= observed) atLeast++;
  const sorted = Float64Array.from(permuted).sort().reverse();
  return {
    pValue: atLeast / permuted.length,
    distanceThreshold: sorted[Math.floor(pVal * permuted.length)]!,
  };
}
