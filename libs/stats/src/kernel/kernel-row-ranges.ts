/**
 * The two hot loops of the kernel tests, over a range of rows of the packed upper triangle
 * (pair (i, j), j > i, at i * n - i(i+1)/2 + j - i - 1). Self-contained on purpose: no
 * imports and no outer names, so {@link KernelThreads} can ship their source text to worker
 * threads and run the same code on another range of rows.
 */

/**
 * Squared distances |a|² + |b|² - 2a·b (clamped at 0) of rows i in [from, to) against every
 * j > i, written into `out`. Rows go in pairs against four others at a time (2 x 4 tiles
 * share every load, about twice the speed of per-pair differences); the rounding error is
 * about 1e-16 x (|a|² + |b|²).
 */
export function distanceRowRange(
  data: Float64Array,
  norms: Float64Array,
  n: number,
  d: number,
  out: Float64Array,
  from: number,
  to: number,
): void {
  const rowBase = (i: number) => i * n - (i * (i + 1)) / 2 - i - 1;
  const put = (base: number, j: number, normI: number, dot: number) => {
    out[base + j] = Math.max(normI + norms[j]! - 2 * dot, 0);
  };
  let i = from;
  for (; i + 1 < to; i += 2) {
    const a0 = i * d;
    const a1 = a0 + d;
    const o0 = rowBase(i);
    const o1 = rowBase(i + 1);
    const n0 = norms[i]!;
    const n1 = norms[i + 1]!;
    let own = 0;
    for (let c = 0; c < d; c++) own += data[a0 + c]! * data[a1 + c]!;
    put(o0, i + 1, n0, own);
    let j = i + 2;
    for (; j + 3 < n; j += 4) {
      const b0 = j * d;
      const b1 = b0 + d;
      const b2 = b1 + d;
      const b3 = b2 + d;
      let p0 = 0;
      let p1 = 0;
      let p2 = 0;
      let p3 = 0;
      let q0 = 0;
      let q1 = 0;
      let q2 = 0;
      let q3 = 0;
      for (let c = 0; c < d; c++) {
        const x0 = data[a0 + c]!;
        const x1 = data[a1 + c]!;
        const y0 = data[b0 + c]!;
        const y1 = data[b1 + c]!;
        const y2 = data[b2 + c]!;
        const y3 = data[b3 + c]!;
        p0 += x0 * y0;
        p1 += x0 * y1;
        p2 += x0 * y2;
        p3 += x0 * y3;
        q0 += x1 * y0;
        q1 += x1 * y1;
        q2 += x1 * y2;
        q3 += x1 * y3;
      }
      put(o0, j, n0, p0);
      put(o0, j + 1, n0, p1);
      put(o0, j + 2, n0, p2);
      put(o0, j + 3, n0, p3);
      put(o1, j, n1, q0);
      put(o1, j + 1, n1, q1);
      put(o1, j + 2, n1, q2);
      put(o1, j + 3, n1, q3);
    }
    for (; j < n; j++) {
      const b = j * d;
      let p = 0;
      let q = 0;
      for (let c = 0; c < d; c++) {
        p += data[a0 + c]! * data[b + c]!;
        q += data[a1 + c]! * data[b + c]!;
      }
      put(o0, j, n0, p);
      put(o1, j, n1, q);
    }
  }
  // An odd range leaves one row, done alone.
  for (; i < to; i++) {
    const a = i * d;
    const o = rowBase(i);
    for (let j = i + 1; j < n; j++) {
      let p = 0;
      for (let c = 0; c < d; c++) p += data[a + c]! * data[j * d + c]!;
      put(o, j, norms[i]!, p);
    }
  }
}

/**
 * For rows i in [from, to): squared distances become Gaussian kernel values exp(-gamma d²)
 * in place, the symmetric matrix's off-diagonal row sums accumulate into `rowSums` (row i
 * and every column j > i), and while row i is still in cache every sorted index list that
 * contains i adds the row's entries at its later members to `within` (one cursor per list,
 * started at the list's first member >= from). `lists` holds `count` sorted lists of `k`
 * row indices back to back.
 */
export function kernelRowRange(
  packed: Float64Array,
  total: number,
  gamma: number,
  lists: Int32Array,
  k: number,
  count: number,
  from: number,
  to: number,
  rowSums: Float64Array,
  within: Float64Array,
): void {
  const cursors = new Int32Array(count);
  for (let p = 0; p < count; p++) {
    let lo = 0;
    let hi = k;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lists[p * k + mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    cursors[p] = lo;
  }
  for (let i = from; i < to; i++) {
    const base = i * total - (i * (i + 1)) / 2 - i - 1;
    let s = 0;
    for (let j = i + 1; j < total; j++) {
      const v = Math.exp(-gamma * packed[base + j]!);
      packed[base + j] = v;
      s += v;
      rowSums[j]! += v;
    }
    rowSums[i]! += s;
    for (let p = 0; p < count; p++) {
      const c = cursors[p]!;
      const off = p * k;
      if (c < k && lists[off + c] === i) {
        // Four accumulators: one running sum is a chain of dependent additions.
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let t = off + c + 1;
        const end = off + k;
        for (; t + 3 < end; t += 4) {
          s0 += packed[base + lists[t]!]!;
          s1 += packed[base + lists[t + 1]!]!;
          s2 += packed[base + lists[t + 2]!]!;
          s3 += packed[base + lists[t + 3]!]!;
        }
        for (; t < end; t++) s0 += packed[base + lists[t]!]!;
        within[p]! += s0 + s1 + (s2 + s3);
        cursors[p] = c + 1;
      }
    }
  }
}

/**
 * Chunks of about equal pair counts the quadratic passes are cut into. Threads claim chunks
 * from a shared counter (a descheduled helper on a busy machine leaves its chunks to the
 * others), and per-chunk partial sums are added in chunk order, so results do not depend on
 * the thread count or on which thread ran which chunk.
 */
export const KERNEL_CHUNKS = 64;

/**
 * Claims chunk after chunk from `counter` (an atomic add) and runs `work` on each, until
 * every chunk of `bounds` (chunk c is rows [bounds[c], bounds[c + 1])) is taken.
 */
export function runChunks(
  bounds: Int32Array,
  counter: Int32Array,
  work: (from: number, to: number, chunk: number) => void,
): void {
  for (;;) {
    const chunk = Atomics.add(counter, 0, 1);
    if (chunk >= bounds.length - 1) return;
    work(bounds[chunk]!, bounds[chunk + 1]!, chunk);
  }
}

/**
 * Row boundaries that split the packed triangle of n rows into `parts` ranges of about equal
 * pair counts (row i has n - 1 - i pairs), each boundary even so 2-row tiles stay whole.
 */
export function balancedRowRanges(n: number, parts: number): number[] {
  const total = (n * (n - 1)) / 2;
  const bounds = [0];
  let row = 0;
  let done = 0;
  for (let part = 1; part < parts; part++) {
    const goal = (total * part) / parts;
    while (row < n && done + (n - 1 - row) <= goal) {
      done += n - 1 - row;
      row++;
    }
    bounds.push(Math.min(row + (row % 2), n));
  }
  bounds.push(n);
  return bounds;
}
