/**
 * The two-sample Cramér-von Mises test, equal to `scipy.stats.cramervonmises_2samp`: midranks
 * for ties, Anderson's T statistic, the exact p-value for small samples and the limiting
 * distribution otherwise.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { cvmExactPValue, cvmLimitCdf } from './cramer-von-mises-distribution.js';
import { assertSample, sortedCopy } from './sample-validation.js';
import type { TwoSampleTestResult } from './two-sample-result.js';

/** How the CVM p-value is computed: `auto` as scipy decides, or forced. */
export type CvmMethod = 'auto' | 'asymptotic' | 'exact';

/** scipy's rule: `auto` is exact when neither sample has more than this many observations. */
export const CVM_MAX_AUTO_EXACT_N = 20;

/**
 * The largest sample an explicit `exact` accepts: the enumeration grows with lcm(m, n)^2 (m + n)
 * values per cell; 29 vs 30 takes about 1 s here, 39 vs 40 about 6 s (scipy has no limit).
 */
export const CVM_MAX_EXACT_N = 30;

/** The smallest sample scipy accepts. */
export const CVM_MIN_N = 2;

/** scipy returns 1 below this normalised statistic, where the limiting CDF is below 1.3e-18. */
const CVM_LIMIT_MIN_STATISTIC = 0.003;

/** Options of {@link cramerVonMises2Samp}. */
export interface CramerVonMises2SampOptions {
  /** `auto` (default), `asymptotic` or `exact`, as scipy's `method`. */
  readonly method?: CvmMethod;
  /** Override of {@link CVM_MAX_EXACT_N} for an explicit `exact`. */
  readonly maxExactN?: number;
  /**
   * Override of {@link CVM_MAX_AUTO_EXACT_N}, the largest sample for which `auto` is exact
   * (keep the default to stay equal to scipy).
   */
  readonly maxAutoExactN?: number;
}

const METHODS: readonly CvmMethod[] = ['auto', 'asymptotic', 'exact'];

/**
 * Anderson's U (eq. 10) from the sorted samples: the sum of squared differences between each
 * observation's midrank in the pooled sample and its rank within its own sample.
 */
function andersonU(xs: Float64Array, ys: Float64Array): number {
  const nx = xs.length;
  const ny = ys.length;
  let i = 0;
  let j = 0;
  let sx = 0;
  let sy = 0;
  while (i < nx || j < ny) {
    const v = j >= ny || (i < nx && xs[i]! <= ys[j]!) ? xs[i]! : ys[j]!;
    const i0 = i;
    const j0 = j;
    while (i < nx && xs[i] === v) i++;
    while (j < ny && ys[j] === v) j++;
    // Pooled positions i0 + j0 + 1 .. i + j share the average rank.
    const midrank = (i0 + j0 + 1 + i + j) / 2;
    for (let k = i0; k < i; k++) sx += (midrank - (k + 1)) ** 2;
    for (let k = j0; k < j; k++) sy += (midrank - (k + 1)) ** 2;
  }
  return nx * sx + ny * sy;
}

/**
 * The two-sample Cramér-von Mises test, as `scipy.stats.cramervonmises_2samp(x, y, method)`.
 *
 * @throws InvalidArgumentError on a sample with fewer than 2 observations, NaN, an unknown
 * method, or `exact` beyond {@link CVM_MAX_EXACT_N}.
 */
export function cramerVonMises2Samp(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: CramerVonMises2SampOptions = {},
): TwoSampleTestResult {
  const requested = options.method ?? 'auto';
  if (!METHODS.includes(requested)) {
    throw new InvalidArgumentError(`method: must be one of ${METHODS.join(', ')}, got "${requested}"`, {
      field: 'method',
    });
  }
  assertSample('x', x, CVM_MIN_N);
  assertSample('y', y, CVM_MIN_N);
  const nx = x.length;
  const ny = y.length;
  let method = requested;
  if (method === 'auto') {
    method = Math.max(nx, ny) > (options.maxAutoExactN ?? CVM_MAX_AUTO_EXACT_N) ? 'asymptotic' : 'exact';
  }
  const maxExactN = options.maxExactN ?? CVM_MAX_EXACT_N;
  if (method === 'exact' && Math.max(nx, ny) > maxExactN) {
    throw new InvalidArgumentError(
      `method: exact allows samples of at most ${maxExactN} observations (maxExactN), got ${nx} and ${ny}; use asymptotic`,
      { field: 'method' },
    );
  }
  const u = andersonU(sortedCopy(x), sortedCopy(y));
  const k = nx * ny;
  const N = nx + ny;
  const t = u / (k * N) - (4 * k - 1) / (6 * N);
  if (method === 'exact') {
    return { statistic: t, pValue: cvmExactPValue(u, nx, ny) };
  }
  const et = (1 + 1 / N) / 6;
  const vt = ((N + 1) * (4 * k * N - 3 * (nx ** 2 + ny ** 2) - 2 * k)) / (45 * N ** 2 * 4 * k);
  const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt);
  const pValue = tn >= CVM_LIMIT_MIN_STATISTIC ? Math.max(1 - cvmLimitCdf(tn), 0) : 1;
  return { statistic: t, pValue };
}
