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
 * For rows i in [from, to) of the packed squared distances: the Gaussian kernel values
 * exp(-gamma d²) of row i go to a scratch row (the packed distances are left alone), the
 * symmetric kernel matrix's off-diagonal row sums accumulate into `rowSums` (row i and every
 * column j > i), and, while the row is in cache, every index list that contains i adds the
 * row's values at its later members to `within[list]`.
 *
 * `lists` holds sorted lists of `k` row indices back to back; which lists contain row i is
 * `memberLists[memberStarts[i] .. memberStarts[i + 1])`, and `memberNext` there is the offset
 * in `lists` of i's successor in that list (see {@link listMembership}).
 *
 * The exponential is computed here rather than by Math.exp, which V8 runs as an out-of-line
 * call at about 4x the cost: exp(x) = 2^(m/32) x e^r with m = round(32 x / ln 2), |r| <= ln 2 / 64,
 * 2^(m/32) from two tables (2^(j/32), j < 32, and 2^-e) and e^r by its Taylor polynomial to
 * r⁶ (truncation below 1e-17); within 1e-15 relative of Math.exp, 0 below exp(-745).
 */
export function kernelRowRange(
  packed: Float64Array,
  total: number,
  gamma: number,
  lists: Int32Array,
  k: number,
  memberStarts: Int32Array,
  memberLists: Int32Array,
  memberNext: Int32Array,
  from: number,
  to: number,
  rowSums: Float64Array,
  within: Float64Array,
): void {
  // Self-contained (see the file's note), so the tables are built here: 2^(j/32) and 2^-e
  // down past the smallest subnormal (exact: repeated halving).
  const fractions = new Float64Array(32);
  for (let j = 0; j < 32; j++) fractions[j] = 2 ** (j / 32);
  const powers = new Float64Array(1_100);
  powers[0] = 1;
  for (let e = 1; e < powers.length; e++) powers[e] = powers[e - 1]! * 0.5;
  const toSteps = 32 / Math.LN2;
  // ln 2 / 32 in two parts (fdlibm's split of ln 2): m x stepHigh is exact for the m here.
  const stepHigh = 0.6931471803691238 / 32;
  const stepLow = 1.9082149292705877e-10 / 32;
  const row = new Float64Array(total);
  for (let i = from; i < to; i++) {
    const base = i * total - (i * (i + 1)) / 2 - i - 1;
    let s = 0;
    for (let j = i + 1; j < total; j++) {
      // Below -745.2 exp underflows to 0; the clamp keeps the power index in the table.
      const x = Math.max(-gamma * packed[base + j]!, -745.5);
      const m = Math.floor(x * toSteps + 0.5);
      const r = x - m * stepHigh - m * stepLow;
      const poly = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
      const mi = m | 0;
      const v = poly * fractions[mi & 31]! * powers[-(mi >> 5)]!;
      row[j] = v;
      s += v;
      rowSums[j]! += v;
    }
    rowSums[i]! += s;
    for (let e = memberStarts[i]!; e < memberStarts[i + 1]!; e++) {
      const list = memberLists[e]!;
      const end = (list + 1) * k;
      // Four accumulators: one running sum is a chain of dependent additions.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t = memberNext[e]!;
      for (; t + 3 < end; t += 4) {
        s0 += row[lists[t]!]!;
        s1 += row[lists[t + 1]!]!;
        s2 += row[lists[t + 2]!]!;
        s3 += row[lists[t + 3]!]!;
      }
      for (; t < end; t++) s0 += row[lists[t]!]!;
      within[list]! += s0 + s1 + (s2 + s3);
    }
  }
}

/** Which index lists hold each row: see {@link kernelRowRange}. */
export interface ListMembership {
  /** Row i's entries are [starts[i], starts[i + 1]). */
  readonly starts: Int32Array;
  /** The list of each entry, in increasing list order per row. */
  readonly lists: Int32Array;
  /** Offset in the lists array of the row's successor in that list (the list's end if none). */
  readonly next: Int32Array;
}

/**
 * {@link ListMembership} of `count` sorted lists of `k` indices below `total`, held back to
 * back in `lists`; `allocate` gives the buffers (shared memory when helper threads read them).
 */
export function listMembership(
  lists: Int32Array,
  k: number,
  count: number,
  total: number,
  allocate: (bytes: number) => ArrayBufferLike = (bytes) => new ArrayBuffer(bytes),
): ListMembership {
  const starts = new Int32Array(allocate((total + 1) * 4));
  for (let t = 0; t < count * k; t++) starts[lists[t]! + 1]!++;
  for (let i = 0; i < total; i++) starts[i + 1]! += starts[i]!;
  const fill = starts.slice(0, total);
  const members = new Int32Array(allocate(count * k * 4));
  const next = new Int32Array(allocate(count * k * 4));
  for (let p = 0; p < count; p++) {
    for (let c = 0; c < k; c++) {
      const at = fill[lists[p * k + c]!]!++;
      members[at] = p;
      next[at] = p * k + c + 1;
    }
  }
  return { starts, lists: members, next };
}

/**
 * Counts the values of `values[start, end)` below `low` and copies those in [low, high] to
 * `middle` from `at` (at most `capacity`; `middle` needs one spare slot). Writes the count
 * below to stats[2c] and the count copied to stats[2c + 1], or -1 there when more than
 * `capacity` fell inside. Branch-free: half the values fall on either side at random, and
 * mispredicted branches cost 3x the pass.
 */
export function collectBracket(
  values: Float64Array,
  start: number,
  end: number,
  low: number,
  high: number,
  middle: Float64Array,
  at: number,
  capacity: number,
  stats: Int32Array,
  c: number,
): void {
  let below = 0;
  let between = 0;
  for (let t = start; t < end; t++) {
    const v = values[t]!;
    below += (v < low) as unknown as number;
    middle[at + between] = v;
    between += ((v >= low) as unknown as number) & ((v <= high) as unknown as number);
    if (between > capacity) {
      between = -1;
      break;
    }
  }
  stats[2 * c] = below;
  stats[2 * c + 1] = between;
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
