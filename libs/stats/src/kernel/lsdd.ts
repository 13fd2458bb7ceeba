import { InvalidArgumentError } from '@sightline/errors';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { DenseMatrix } from '../matrix.js';
import { type SeededRandom, seededRandom } from '../random/seeded-random.js';
import {
  checkPermutationOptions,
  checkSigma,
  checkTwoSamples,
  DEFAULT_MAX_PERMUTATIONS,
  DEFAULT_MAX_POOLED_ROWS,
  DEFAULT_P_VAL,
  DEFAULT_PERMUTATIONS,
  permutationVerdict,
} from './kernel-limits.js';
import type { KernelThreads } from './kernel-threads.js';
import { sigmaFromPackedSquaredDistances } from './median-heuristic.js';
import { crossSquaredDistances, packedSquaredDistances } from './pairwise-distances.js';

/** Alibi Detect's `n_kernel_centers` default: one reference row in 20 (at least one). */
export const LSDD_KERNEL_CENTER_FRACTION = 1 / 20;
/** Alibi Detect's `lambda_rd_max`: the largest relative difference allowed when choosing lambda. */
export const DEFAULT_LSDD_LAMBDA_RD_MAX = 0.2;
/** Candidate regularisations tried from largest to smallest, as Alibi Detect: 4^-i, i = 0..9. */
export const LSDD_CANDIDATE_LAMBDAS: readonly number[] = Array.from({ length: 10 }, (_, i) => 4 ** -i);
/** Added to each reference standard deviation before dividing, as Alibi Detect (`eps`). */
const NORMALISATION_EPS = 1e-12;

/** Options of {@link lsddPermutationTest}. */
export interface LsddTestOptions {
  /** Permutations (default 100, as Alibi Detect). */
  readonly permutations?: number;
  /** Seed of the kernel-centre draw and the permutations. */
  readonly seed: number;
  /** Bandwidth in standardised units; default the median heuristic on the standardised reference. */
  readonly sigma?: number;
  /** Reference rows set aside as kernel centres (default max(floor(n_ref / 20), 1), as Alibi). */
  readonly nKernelCenters?: number;
  /** Which reference rows become kernel centres (distinct indices); default a seeded random draw of `nKernelCenters`. */
  readonly centerIndices?: readonly number[];
  /**
   * Fixed regularisation. Default: chosen as Alibi Detect does, the largest of
   * {@link LSDD_CANDIDATE_LAMBDAS} whose mean relative difference over the permutations is
   * below `lambdaRdMax`.
   */
  readonly lambda?: number;
  /** See `lambda` (default {@link DEFAULT_LSDD_LAMBDA_RD_MAX}). */
  readonly lambdaRdMax?: number;
  /** Significance level that places the distance threshold (default 0.05). */
  readonly pVal?: number;
  /** Refuse reference + sample above this many rows (default {@link DEFAULT_MAX_POOLED_ROWS}). */
  readonly maxPooledRows?: number;
  /** Refuse more permutations than this (default {@link DEFAULT_MAX_PERMUTATIONS}). */
  readonly maxPermutations?: number;
  /** Helper threads for the reference's pairwise distances (the bandwidth), the quadratic part. */
  readonly threads?: KernelThreads;
}

/** What {@link lsddPermutationTest} found. */
export interface LsddTestResult {
  /** LSDD estimate times (pi sigma²)^(d/2), as Alibi Detect reports it (same p-values, no overflow in high d). */
  readonly statistic: number;
  readonly pValue: number;
  /** The (1 - pVal) quantile of the permuted statistics. */
  readonly distanceThreshold: number;
  readonly sigma: number;
  readonly lambda: number;
  readonly permutations: number;
}

/**
 * Least-squares density difference test as Alibi Detect's `LSDDDrift` (Bu et al. 2016):
 * both samples are standardised with the reference's mean and (n-1) standard deviation;
 * `nKernelCenters` random reference rows become Gaussian kernel centres c and leave the
 * reference; h = mean_x k(x, c) - mean_y k(y, c) and the statistic is h' (2A⁻¹ - A⁻¹HA⁻¹) h
 * with H_ij = exp(-|c_i - c_j|² / (4 sigma²)) and A = H + lambda I, evaluated in H's
 * eigenbasis (one ml-matrix symmetric eigendecomposition serves every lambda). The null
 * distribution comes from re-splitting the pooled kernel rows, each permutation costing
 * min(n_ref, n) x centres plus one centres² projection.
 */
export function lsddPermutationTest(
  reference: DenseMatrix,
  sample: DenseMatrix,
  options: LsddTestOptions,
): LsddTestResult {
  const permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
  const pVal = options.pVal ?? DEFAULT_P_VAL;
  checkTwoSamples(
    reference,
    sample,
    ['reference', 'sample'],
    options.maxPooledRows ?? DEFAULT_MAX_POOLED_ROWS,
  );
  checkPermutationOptions(permutations, pVal, options.seed, options.maxPermutations);
  if (options.sigma !== undefined) checkSigma(options.sigma);
  const centers =
    options.centerIndices?.length ??
    options.nKernelCenters ??
    Math.max(Math.floor(reference.rows * LSDD_KERNEL_CENTER_FRACTION), 1);
  if (!Number.isInteger(centers) || centers < 1 || centers > reference.rows - 2) {
    throw new InvalidArgumentError(
      `nKernelCenters: expected an integer in [1, ${reference.rows - 2}] (reference rows - 2), got ${centers}`,
    );
  }
  if (options.lambda !== undefined && !(options.lambda > 0 && Number.isFinite(options.lambda))) {
    throw new InvalidArgumentError(`lambda: expected a positive finite number, got ${options.lambda}`);
  }

  const [ref, smp] = standardise(reference, sample);
  const sigma =
    options.sigma ?? sigmaFromPackedSquaredDistances(packedSquaredDistances(ref, options.threads));
  const random = seededRandom(options.seed);
  const { centerRows, effective } = splitCenters(ref, centers, random, options.centerIndices);
  const kernel = (a: DenseMatrix, b: DenseMatrix, s: number) => {
    const out = crossSquaredDistances(a, b);
    const gamma = 1 / (2 * s * s);
    for (let t = 0; t < out.length; t++) out[t] = Math.exp(-gamma * out[t]!);
    return out;
  };
  // Rows: effective reference first, then the sample; columns: kernel centres.
  const kAll = new Float64Array((effective.rows + smp.rows) * centers);
  kAll.set(kernel(effective, centerRows, sigma), 0);
  kAll.set(kernel(smp, centerRows, sigma), effective.rows * centers);
  const hKernel = kernel(centerRows, centerRows, Math.SQRT2 * sigma);
  const basis = eigenBasis(hKernel, centers);

  const nx = effective.rows;
  const observed = basis.project(meanDifference(kAll, nx, smp.rows, centers, null, false));
  const permutedProjections = permutedMeanDifferences(kAll, nx, smp.rows, centers, permutations, random).map(
    basis.project,
  );
  const lambda =
    options.lambda ??
    chooseLambda(basis.values, permutedProjections, options.lambdaRdMax ?? DEFAULT_LSDD_LAMBDA_RD_MAX);
  const statistic = lsddInBasis(basis.values, observed, lambda);
  const permuted = new Float64Array(permutations);
  for (let p = 0; p < permutations; p++)
    permuted[p] = lsddInBasis(basis.values, permutedProjections[p]!, lambda);
  return { statistic, sigma, lambda, permutations, ...permutationVerdict(statistic, permuted, pVal) };
}

function standardise(reference: DenseMatrix, sample: DenseMatrix): [DenseMatrix, DenseMatrix] {
  const d = reference.cols;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < reference.rows; i++) for (let c = 0; c < d; c++) mean[c] += reference.data[i * d + c]!;
  for (let c = 0; c < d; c++) mean[c] /= reference.rows;
  for (let i = 0; i < reference.rows; i++) {
    for (let c = 0; c < d; c++) {
      const e = reference.data[i * d + c]! - mean[c]!;
      std[c] += e * e;
    }
  }
  // torch's std (Alibi's PyTorch backend) is the (n-1) estimate.
  for (let c = 0; c < d; c++) std[c] = Math.sqrt(std[c]! / (reference.rows - 1)) + NORMALISATION_EPS;
  const apply = (m: DenseMatrix): DenseMatrix => {
    const data = new Float64Array(m.data.length);
    for (let t = 0; t < data.length; t++) data[t] = (m.data[t]! - mean[t % d]!) / std[t % d]!;
    return { rows: m.rows, cols: d, data };
  };
  return [apply(reference), apply(sample)];
}

function splitCenters(
  ref: DenseMatrix,
  centers: number,
  random: SeededRandom,
  given: readonly number[] | undefined,
): { centerRows: DenseMatrix; effective: DenseMatrix } {
  const isCenter = new Uint8Array(ref.rows);
  if (given) {
    for (const i of given) {
      if (!Number.isInteger(i) || i < 0 || i >= ref.rows || isCenter[i]) {
        throw new InvalidArgumentError(
          `centerIndices: ${i} is not a distinct row index of the reference (0..${ref.rows - 1})`,
        );
      }
      isCenter[i] = 1;
    }
  } else {
    const order = new Int32Array(ref.rows);
    for (let t = 0; t < ref.rows; t++) order[t] = t;
    random.shuffle(order, centers);
    for (const i of order.subarray(0, centers)) isCenter[i] = 1;
  }
  // Centres keep reference order, so given indices and drawn ones build the same matrices.
  const d = ref.cols;
  const centerData = new Float64Array(centers * d);
  const effectiveData = new Float64Array((ref.rows - centers) * d);
  let c = 0;
  let e = 0;
  for (let i = 0; i < ref.rows; i++) {
    const row = ref.data.subarray(i * d, (i + 1) * d);
    if (isCenter[i]) centerData.set(row, d * c++);
    else effectiveData.set(row, d * e++);
  }
  return {
    centerRows: { rows: centers, cols: d, data: centerData },
    effective: { rows: ref.rows - centers, cols: d, data: effectiveData },
  };
}

/**
 * Mean kernel row of the first group minus that of the second, the first group being rows
 * [0, nx) when `group` is null, else the rows listed in `group`. `groupIsFirst` says whether
 * the listed rows are the first group or the second (the smaller group is the one summed).
 */
function meanDifference(
  kAll: Float64Array,
  nx: number,
  ny: number,
  centers: number,
  group: Int32Array | null,
  groupIsFirst: boolean,
  columnTotals?: Float64Array,
): Float64Array {
  const totals = columnTotals ?? sumRows(kAll, nx + ny, centers);
  const inGroup = new Float64Array(centers);
  const count = group ? group.length : nx;
  for (let t = 0; t < count; t++) {
    const row = (group ? group[t]! : t) * centers;
    for (let c = 0; c < centers; c++) inGroup[c]! += kAll[row + c]!;
  }
  const first = group === null || groupIsFirst;
  const h = new Float64Array(centers);
  for (let c = 0; c < centers; c++) {
    const firstSum = first ? inGroup[c]! : totals[c]! - inGroup[c]!;
    h[c] = firstSum / nx - (totals[c]! - firstSum) / ny;
  }
  return h;
}

function sumRows(kAll: Float64Array, rows: number, centers: number): Float64Array {
  const totals = new Float64Array(centers);
  for (let r = 0; r < rows; r++) for (let c = 0; c < centers; c++) totals[c]! += kAll[r * centers + c]!;
  return totals;
}

/**
 * h for `permutations` random splits of the pooled kernel rows into nx and ny rows. Only the
 * smaller group is drawn and summed (the other is the total minus it), its rows in index
 * order for locality.
 */
function permutedMeanDifferences(
  kAll: Float64Array,
  nx: number,
  ny: number,
  centers: number,
  permutations: number,
  random: SeededRandom,
): Float64Array[] {
  const total = nx + ny;
  const totals = sumRows(kAll, total, centers);
  const order = new Int32Array(total);
  for (let t = 0; t < total; t++) order[t] = t;
  const smaller = Math.min(nx, ny);
  const out: Float64Array[] = [];
  for (let p = 0; p < permutations; p++) {
    random.shuffle(order, smaller);
    const group = order.slice(0, smaller).sort();
    out.push(meanDifference(kAll, nx, ny, centers, group, nx <= ny, totals));
  }
  return out;
}

/**
 * H = V diag(e) V' (ml-matrix's symmetric eigendecomposition). In that basis (H + lambda I)⁻¹
 * is diagonal, so every lambda candidate and every permutation costs O(centres) after one
 * projection, instead of an inverse and matrix products per candidate.
 */
function eigenBasis(
  hKernel: Float64Array,
  centers: number,
): { values: Float64Array; project: (h: Float64Array) => Float64Array } {
  const decomposition = new EigenvalueDecomposition(new Matrix(toRows(hKernel, centers)), {
    assumeSymmetric: true,
  });
  const values = Float64Array.from(decomposition.realEigenvalues);
  const vectors = decomposition.eigenvectorMatrix;
  // Column q of V as row q of a row-major array, so a projection reads contiguously.
  const transposed = new Float64Array(centers * centers);
  for (let c = 0; c < centers; c++)
    for (let q = 0; q < centers; q++) transposed[q * centers + c] = vectors.get(c, q);
  return {
    values,
    project: (h) => {
      const out = new Float64Array(centers);
      for (let q = 0; q < centers; q++) {
        let s = 0;
        for (let c = 0; c < centers; c++) s += transposed[q * centers + c]! * h[c]!;
        out[q] = s;
      }
      return out;
    },
  };
}

/**
 * h'(2A⁻¹ - A⁻¹HA⁻¹)h with A = H + lambda I, from h's coordinates in H's eigenbasis:
 * sum_q hq² (e_q + 2 lambda) / (e_q + lambda)².
 */
function lsddInBasis(values: Float64Array, projected: Float64Array, lambda: number): number {
  let s = 0;
  for (let q = 0; q < values.length; q++) {
    const shifted = values[q]! + lambda;
    s += (projected[q]! ** 2 * (values[q]! + 2 * lambda)) / (shifted * shifted);
  }
  return s;
}

/**
 * Alibi Detect's lambda choice: the first candidate (largest first) whose mean relative
 * difference 1 - (w'Hw)/(h'w), w = (H + lambda I)⁻¹h, over the permuted h is below the maximum.
 */
function chooseLambda(values: Float64Array, projections: readonly Float64Array[], rdMax: number): number {
  for (const lambda of LSDD_CANDIDATE_LAMBDAS) {
    let rdSum = 0;
    for (const projected of projections) {
      let wHw = 0;
      let hw = 0;
      for (let q = 0; q < values.length; q++) {
        const shifted = values[q]! + lambda;
        const h2 = projected[q]! ** 2;
        wHw += (values[q]! * h2) / (shifted * shifted);
        hw += h2 / shifted;
      }
      rdSum += 1 - wHw / hw;
    }
    if (rdSum / projections.length < rdMax) return lambda;
  }
  throw new InvalidArgumentError(
    `lambda: no candidate in ${LSDD_CANDIDATE_LAMBDAS.join(', ')} reaches a relative difference below ${rdMax}; too many repeated rows for LSDD (use MMD) or pass lambda`,
  );
}

function toRows(data: Float64Array, cols: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < data.length / cols; i++) rows.push(Array.from(data.subarray(i * cols, (i + 1) * cols)));
  return rows;
}
