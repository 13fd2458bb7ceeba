import type { DenseMatrix } from '../matrix.js';
import { seededRandom } from '../random/seeded-random.js';
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
import {
  balancedRowRanges,
  KERNEL_BLOCK_ROWS,
  KERNEL_CHUNKS,
  kernelRowRange,
  kernelScratchLength,
  listMembership,
  runChunks,
} from './kernel-row-ranges.js';
import type { KernelRowTask, KernelThreads } from './kernel-threads.js';
import { sigmaFromMedianSquaredDistance } from './median-heuristic.js';
import {
  pooledSquaredDistances,
  pooledSquaredDistancesWithMedian,
  sharedCopy,
  sharedInts,
} from './pairwise-distances.js';

/** Options of {@link mmdPermutationTest}. */
export interface MmdTestOptions {
  /** Gaussian kernel bandwidth; default {@link medianHeuristicSigma} of the pooled sample. */
  readonly sigma?: number;
  /** Permutations of the pooled sample (default {@link DEFAULT_PERMUTATIONS}, 100 as Alibi Detect). */
  readonly permutations?: number;
  /** Seed of the permutations ({@link seededRandom}); the same seed gives the same p-value. */
  readonly seed: number;
  /** Significance level that places {@link MmdTestResult.distanceThreshold} (default 0.05). */
  readonly pVal?: number;
  /** Refuse pooled samples above this many rows (default {@link DEFAULT_MAX_POOLED_ROWS}). */
  readonly maxPooledRows?: number;
  /** Refuse more permutations than this (default {@link DEFAULT_MAX_PERMUTATIONS}). */
  readonly maxPermutations?: number;
  /** Helper threads to split the quadratic passes over (default: the calling thread alone). */
  readonly threads?: KernelThreads;
}

/** What {@link mmdPermutationTest} found. */
export interface MmdTestResult {
  /** Unbiased MMD² of x against y. */
  readonly statistic: number;
  /** Fraction of permuted MMD² values >= the observed one. */
  readonly pValue: number;
  /** Bandwidth used. */
  readonly sigma: number;
  /** MMD² above which the test would reject at `pVal`: the (1 - pVal) quantile of the permuted values. */
  readonly distanceThreshold: number;
  /** Permutations run. */
  readonly permutations: number;
}

/**
 * Unbiased MMD² with the Gaussian kernel k(a, b) = exp(-|a - b|² / (2 sigma²)):
 *
 *   sum_{i≠j} k(x_i, x_j) / (n(n-1)) + sum_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 sum_{i,j} k(x_i, y_j) / (nm)
 *
 * as Alibi Detect's `mmd2_from_kernel_matrix` (zero diagonal). Rows are points; x and y need
 * the same columns and at least two rows each.
 */
export function mmd2Unbiased(x: DenseMatrix, y: DenseMatrix, sigma: number): number {
  checkTwoSamples(x, y, ['x', 'y'], Number.POSITIVE_INFINITY);
  checkSigma(sigma);
  const gamma = 1 / (2 * sigma * sigma);
  const within = (m: DenseMatrix) => {
    let total = 0;
    for (let i = 0; i < m.rows; i++) total += rowKernelSum(m, i, m, i + 1, m.rows, gamma);
    return 2 * total;
  };
  let cross = 0;
  for (let i = 0; i < x.rows; i++) cross += rowKernelSum(x, i, y, 0, y.rows, gamma);
  const n = x.rows;
  const m = y.rows;
  return within(x) / (n * (n - 1)) + within(y) / (m * (m - 1)) - (2 * cross) / (n * m);
}

/** Sum over rows j in [from, to) of b of k(a_i, b_j); per-row partial sums keep rounding small. */
function rowKernelSum(
  a: DenseMatrix,
  i: number,
  b: DenseMatrix,
  from: number,
  to: number,
  gamma: number,
): number {
  const d = a.cols;
  const ad = a.data;
  const bd = b.data;
  const ai = i * d;
  let s = 0;
  for (let j = from; j < to; j++) {
    const bj = j * d;
    let dist = 0;
    for (let c = 0; c < d; c++) {
      const diff = ad[ai + c]! - bd[bj + c]!;
      dist += diff * diff;
    }
    s += Math.exp(-gamma * dist);
  }
  return s;
}

/**
 * MMD permutation test as Alibi Detect's `MMDDrift`: the unbiased MMD² of x against y, and its
 * distribution under the null from `permutations` random re-splits of the pooled sample into
 * groups of x's and y's sizes.
 *
 * Every split's MMD² is a quadratic form over one kernel matrix: with the matrix's row sums R
 * and total T, a split is fixed by A = the within-group sum of the smaller group G:
 * cross = sum_{i in G} R_i - 2A, and the other group's within sum = T - A - cross. The
 * squared distances are computed once as a packed upper triangle (N(N-1)/2 doubles, each
 * pair once: half of the symmetric matrix), then one pass over its rows turns each row into
 * kernel values in a scratch row and serves every permutation whose group holds that row
 * (A gathered from the row's later members), so a permutation costs min(n, m)²/2 additions
 * from a row in L1 cache, and the kernel values are never written back.
 */
export function mmdPermutationTest(x: DenseMatrix, y: DenseMatrix, options: MmdTestOptions): MmdTestResult {
  const permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
  const pVal = options.pVal ?? DEFAULT_P_VAL;
  checkTwoSamples(x, y, ['x', 'y'], options.maxPooledRows ?? DEFAULT_MAX_POOLED_ROWS);
  checkPermutationOptions(permutations, pVal, options.seed, options.maxPermutations);
  if (options.sigma !== undefined) checkSigma(options.sigma);

  let distances: Float64Array;
  let sigma: number;
  if (options.sigma === undefined) {
    const { packed, median } = pooledSquaredDistancesWithMedian(x, y, options.threads);
    distances = packed;
    sigma = sigmaFromMedianSquaredDistance(median);
  } else {
    distances = pooledSquaredDistances(x, y, options.threads);
    sigma = options.sigma;
  }
  const gamma = 1 / (2 * sigma * sigma);

  const n = x.rows;
  const m = y.rows;
  const total = n + m;

  // Group G is x's role when x is the smaller sample, else y's; list 0 is the observed split.
  const groupIsX = n <= m;
  const k = groupIsX ? n : m;
  const allocate = (bytes: number) =>
    options.threads ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const lists = new Int32Array(allocate((permutations + 1) * k * Int32Array.BYTES_PER_ELEMENT));
  for (let t = 0; t < k; t++) lists[t] = groupIsX ? t : n + t;
  const order = new Int32Array(total);
  for (let t = 0; t < total; t++) order[t] = t;
  // Each permutation's group in increasing order: marked, then read off in one sweep
  // (the same list a sort would give, in O(N) instead of O(k log k)).
  const marked = new Uint8Array(total);
  const random = seededRandom(options.seed);
  for (let p = 1; p <= permutations; p++) {
    random.shuffle(order, k);
    for (let t = 0; t < k; t++) marked[order[t]!] = 1;
    let at = p * k;
    for (let i = 0; i < total; i++) {
      lists[at] = i;
      at += marked[i]!;
      marked[i] = 0;
    }
  }
  const { rowSums, within } = kernelSums(
    distances,
    total,
    gamma,
    lists,
    k,
    permutations + 1,
    allocate,
    options.threads,
  );
  let pairSum = 0;
  for (let i = 0; i < total; i++) pairSum += rowSums[i]!;
  pairSum /= 2;

  const statistics = new Float64Array(permutations + 1);
  for (let p = 0; p <= permutations; p++) {
    let groupRowSum = 0;
    const off = p * k;
    for (let t = 0; t < k; t++) groupRowSum += rowSums[lists[off + t]!]!;
    const a = within[p]!;
    const cross = groupRowSum - 2 * a;
    const other = pairSum - a - cross;
    const xx = groupIsX ? a : other;
    const yy = groupIsX ? other : a;
    statistics[p] = (2 * xx) / (n * (n - 1)) + (2 * yy) / (m * (m - 1)) - (2 * cross) / (n * m);
  }
  const statistic = statistics[0]!;
  return { statistic, sigma, permutations, ...permutationVerdict(statistic, statistics.subarray(1), pVal) };
}

/**
 * Row sums and every list's within-group sum in one pass over the rows ({@link kernelRowRange}),
 * cut into {@link KERNEL_CHUNKS} chunks with their own partial sums, added up in chunk order:
 * the result is the same whether the calling thread runs every chunk or `threads` share them.
 */
function kernelSums(
  distances: Float64Array,
  total: number,
  gamma: number,
  lists: Int32Array,
  k: number,
  count: number,
  allocate: (bytes: number) => ArrayBufferLike,
  threads: KernelThreads | undefined,
): { rowSums: Float64Array; within: Float64Array } {
  const bounds = balancedRowRanges(total, KERNEL_CHUNKS, KERNEL_BLOCK_ROWS);
  const chunks = bounds.length - 1;
  const partialRows = new Float64Array(allocate(chunks * total * 8));
  const partialWithin = new Float64Array(allocate(chunks * count * 8));
  const members = listMembership(lists, k, count, total, allocate);
  const packed = threads ? sharedCopy(distances) : distances;
  // The calling thread's scratch; each helper has its own.
  const scratch = new Float64Array(kernelScratchLength(total));
  const work = (from: number, to: number, c: number) =>
    kernelRowRange(
      packed,
      total,
      gamma,
      lists,
      k,
      members.starts,
      members.lists,
      members.next,
      from,
      to,
      partialRows.subarray(c * total, (c + 1) * total),
      partialWithin.subarray(c * count, (c + 1) * count),
      scratch,
    );
  if (threads) {
    const boundsShared = sharedInts(bounds);
    const counter = sharedInts([0]);
    const task: KernelRowTask = {
      kind: 'kernel',
      packed: packed.buffer as SharedArrayBuffer,
      total,
      gamma,
      lists: lists.buffer as SharedArrayBuffer,
      k,
      count,
      memberStarts: members.starts.buffer as SharedArrayBuffer,
      memberLists: members.lists.buffer as SharedArrayBuffer,
      memberNext: members.next.buffer as SharedArrayBuffer,
      partialRowSums: partialRows.buffer as SharedArrayBuffer,
      partialWithin: partialWithin.buffer as SharedArrayBuffer,
      bounds: boundsShared.buffer as SharedArrayBuffer,
      counter: counter.buffer as SharedArrayBuffer,
    };
    threads.run(Array(threads.helpers).fill(task), () => runChunks(boundsShared, counter, work));
  } else {
    for (let c = 0; c < chunks; c++) work(bounds[c]!, bounds[c + 1]!, c);
  }
  const rowSums = new Float64Array(total);
  const within = new Float64Array(count);
  for (let c = 0; c < chunks; c++) {
    for (let i = 0; i < total; i++) rowSums[i]! += partialRows[c * total + i]!;
    for (let p = 0; p < count; p++) within[p]! += partialWithin[c * count + p]!;
  }
  return { rowSums, within };
}
