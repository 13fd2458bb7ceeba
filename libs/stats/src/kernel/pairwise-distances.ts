import type { DenseMatrix } from '../matrix.js';
import { balancedRowRanges, distanceRowRange, KERNEL_CHUNKS, runChunks } from './kernel-row-ranges.js';
import type { KernelRowTask, KernelThreads } from './kernel-threads.js';

/**
 * Squared Euclidean distances between all pairs i < j of the rows of [x; y] (x's rows first),
 * packed row by row: pair (i, j) at i n - i(i+1)/2 + j - i - 1.
 */
export function pooledSquaredDistances(
  x: DenseMatrix,
  y: DenseMatrix,
  threads?: KernelThreads,
): Float64Array {
  const bytes = (x.data.length + y.data.length) * Float64Array.BYTES_PER_ELEMENT;
  // Shared memory when helper threads will read it.
  const pooled = new Float64Array(threads ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  pooled.set(x.data, 0);
  pooled.set(y.data, x.data.length);
  return packedSquaredDistances({ rows: x.rows + y.rows, cols: x.cols, data: pooled }, threads);
}

/**
 * Squared Euclidean distances between all row pairs i < j of `z`, packed as
 * {@link pooledSquaredDistances}, by {@link distanceRowRange} (|a|² + |b|² - 2a·b in 2 x 4
 * tiles, clamped at 0 as numpy pipelines do). With `threads`, all threads claim chunks of
 * rows ({@link KERNEL_CHUNKS}) and the result lives in shared memory.
 */
export function packedSquaredDistances(z: DenseMatrix, threads?: KernelThreads): Float64Array {
  const n = z.rows;
  const d = z.cols;
  const pairs = (n * (n - 1)) / 2;
  const normsBuffer = threads ? new SharedArrayBuffer(n * 8) : new ArrayBuffer(n * 8);
  const norms = new Float64Array(normsBuffer);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += z.data[i * d + c]! * z.data[i * d + c]!;
    norms[i] = s;
  }
  if (!threads) {
    const out = new Float64Array(pairs);
    distanceRowRange(z.data, norms, n, d, out, 0, n);
    return out;
  }
  const data = sharedCopy(z.data);
  const out = new Float64Array(new SharedArrayBuffer(pairs * 8));
  const bounds = sharedInts(balancedRowRanges(n, KERNEL_CHUNKS));
  const counter = sharedInts([0]);
  const task: KernelRowTask = {
    kind: 'distances',
    data: data.buffer as SharedArrayBuffer,
    norms: normsBuffer as SharedArrayBuffer,
    n,
    d,
    out: out.buffer as SharedArrayBuffer,
    bounds: bounds.buffer as SharedArrayBuffer,
    counter: counter.buffer as SharedArrayBuffer,
  };
  threads.run(Array(threads.helpers).fill(task), () =>
    runChunks(bounds, counter, (from, to) => distanceRowRange(data, norms, n, d, out, from, to)),
  );
  return out;
}

/** Integers in a shared Int32Array (chunk bounds, counters). */
export function sharedInts(values: readonly number[]): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(values.length * 4));
  out.set(values);
  return out;
}

/** `values` itself when it already lives in shared memory, else a shared copy. */
export function sharedCopy(values: Float64Array): Float64Array {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const copy = new Float64Array(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
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
  // One pass: count what lies below the bracket and collect what lies inside it. Branch-free
  // (every value is written, the cursor advances only for values inside), since half the
  // values fall on either side at random and mispredicted branches cost 3x the pass. The
  // buffer holds a generous multiple of the expected share; filling it falls back to a full copy.
  const capacity = Math.ceil(((4 * SELECT_BRACKET_RANKS + 8) / SELECT_SAMPLE_SIZE) * length);
  const middle = new Float64Array(capacity + 1);
  let below = 0;
  let between = 0;
  for (let t = 0; t < length; t++) {
    const v = values[t]!;
    below += (v < low) as unknown as number;
    middle[between] = v;
    between += ((v >= low) as unknown as number) & ((v <= high) as unknown as number);
    if (between === capacity) return quickselect(Float64Array.from(values), k);
  }
  if (k < below || k >= below + between) return quickselect(Float64Array.from(values), k);
  return quickselect(middle.subarray(0, between), k - below);
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
