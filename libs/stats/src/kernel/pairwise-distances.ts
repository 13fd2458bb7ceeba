import type { DenseMatrix } from '../matrix.js';

/**
 * Squared Euclidean distances between all pairs i < j of the rows of [x; y] (x's rows first),
 * packed row by row: pair (i, j) at `packedIndex(n, i, j)`. Differences are formed directly
 * rather than through |a|² + |b|² - 2a·b, which cancels badly for close points.
 */
export function pooledSquaredDistances(x: DenseMatrix, y: DenseMatrix): Float64Array {
  const pooled = new Float64Array(x.data.length + y.data.length);
  pooled.set(x.data, 0);
  pooled.set(y.data, x.data.length);
  return packedSquaredDistances({ rows: x.rows + y.rows, cols: x.cols, data: pooled });
}

/** Squared Euclidean distances between all row pairs i < j of `z`, packed as {@link pooledSquaredDistances}. */
export function packedSquaredDistances(z: DenseMatrix): Float64Array {
  const n = z.rows;
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++)
      out[k++] = squaredDistance(z.data, i * z.cols, z.data, j * z.cols, z.cols);
  }
  return out;
}

/**
 * |a - b|² over `d` values starting at `a0` and `b0`. Four independent accumulators: a single
 * running sum is one long chain of dependent additions, which bounds the loop by the adder's
 * latency rather than its throughput (about 3x slower at 32 dimensions).
 */
export function squaredDistance(a: Float64Array, a0: number, b: Float64Array, b0: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  for (; c + 3 < d; c += 4) {
    const e0 = a[a0 + c]! - b[b0 + c]!;
    const e1 = a[a0 + c + 1]! - b[b0 + c + 1]!;
    const e2 = a[a0 + c + 2]! - b[b0 + c + 2]!;
    const e3 = a[a0 + c + 3]! - b[b0 + c + 3]!;
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  for (; c < d; c++) {
    const e = a[a0 + c]! - b[b0 + c]!;
    s0 += e * e;
  }
  return s0 + s1 + (s2 + s3);
}

/** Squared Euclidean distances between every row of `a` and every row of `b`, row-major a.rows x b.rows. */
export function crossSquaredDistances(a: DenseMatrix, b: DenseMatrix): Float64Array {
  const out = new Float64Array(a.rows * b.rows);
  let k = 0;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++)
      out[k++] = squaredDistance(a.data, i * a.cols, b.data, j * b.cols, a.cols);
  }
  return out;
}

/** Offset of pair (i, j), i < j, in an n-point packed upper triangle. */
export function packedRowStart(n: number, i: number): number {
  return i * n - (i * (i + 1)) / 2;
}

/** Values sampled to bracket the k-th smallest before one filtering pass. */
const SELECT_SAMPLE_SIZE = 4_096;
/** Half-width of the bracket in sample ranks; wide enough that a miss (and the full fallback) is rare. */
const SELECT_BRACKET_RANKS = 96;

/**
 * The k-th smallest value (0-based) of `values`; the input is left alone. Floyd-Rivest style:
 * a sorted sample gives two bounds that very likely bracket the answer, one pass counts what
 * lies below and collects what lies between, and quickselect finishes on that small set; when
 * the bracket misses, quickselect runs on a full copy. O(length) either way, but the common
 * path touches the data once instead of several times.
 */
export function kthSmallest(values: Float64Array, k: number): number {
  const length = values.length;
  if (length <= 4 * SELECT_SAMPLE_SIZE) return quickselect(Float64Array.from(values), k);
  const sample = new Float64Array(SELECT_SAMPLE_SIZE);
  const stride = length / SELECT_SAMPLE_SIZE;
  for (let s = 0; s < SELECT_SAMPLE_SIZE; s++) sample[s] = values[Math.floor(s * stride)]!;
  sample.sort();
  const rank = (k / length) * SELECT_SAMPLE_SIZE;
  const low = sample[Math.max(0, Math.floor(rank) - SELECT_BRACKET_RANKS)]!;
  const high = sample[Math.min(SELECT_SAMPLE_SIZE - 1, Math.ceil(rank) + SELECT_BRACKET_RANKS)]!;
  let below = 0;
  let between = 0;
  for (let t = 0; t < length; t++) {
    const v = values[t]!;
    if (v < low) below++;
    else if (v <= high) between++;
  }
  if (k < below || k >= below + between) return quickselect(Float64Array.from(values), k);
  const middle = new Float64Array(between);
  let m = 0;
  for (let t = 0; t < length; t++) {
    const v = values[t]!;
    if (v >= low && v <= high) middle[m++] = v;
  }
  return quickselect(middle, k - below);
}

/** Hoare-partition quickselect in place. */
function quickselect(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    // Median of three keeps sorted or constant input from the quadratic case.
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
