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

/** Rows per block of {@link kernelRowRange} (its own copy is local: it is shipped as source); chunks of the kernel pass are cut on multiples of it. */
export const KERNEL_BLOCK_ROWS = 8;

/** Doubles of the scratch {@link kernelRowRange} needs for `total` rows: a block's rows and their tables. */
export function kernelScratchLength(total: number): number {
  // 8 kernel rows, then per column two 16-entry subset-sum tables.
  return 40 * total;
}

/**
 * For rows i in [from, to) of the packed squared distances: the Gaussian kernel values
 * exp(-gamma d²) of row i go to scratch (the packed distances are left alone), the symmetric
 * kernel matrix's off-diagonal row sums accumulate into `rowSums` (row i and every column
 * j > i), and every index list adds the kernel values between its members among these rows
 * and their later members to `within[list]`.
 *
 * `lists` holds sorted lists of `k` row indices back to back; which lists contain row i is
 * `memberLists[memberStarts[i] .. memberStarts[i + 1])`, and `memberNext` there is the offset
 * in `lists` of i's successor in that list (see {@link listMembership}).
 *
 * Rows go in blocks of eight. For every later column j, two tables hold the sums of every
 * subset of the block's first four and last four kernel values at j; a list's share of the
 * block is then, per later member j, two table entries picked by which block rows the list
 * holds: one read of the list for the whole block instead of one per block row in it (about
 * four). The lists' gathers are most of the test's time (min(n, m)²/2 additions per
 * permutation); this cut the pass by about a fifth.
 * `scratch` holds {@link kernelScratchLength}(total) doubles; its contents do not matter.
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
  scratch: Float64Array,
): void {
  // Self-contained (see the file's note), so constants and tables are built here: 2^(j/32)
  // and 2^-e down past the smallest subnormal (exact: repeated halving).
  const blockRows = 8;
  const fractions = new Float64Array(32);
  for (let j = 0; j < 32; j++) fractions[j] = 2 ** (j / 32);
  const powers = new Float64Array(1_100);
  powers[0] = 1;
  for (let e = 1; e < powers.length; e++) powers[e] = powers[e - 1]! * 0.5;
  const toSteps = 32 / Math.LN2;
  // ln 2 / 32 in two parts (fdlibm's split of ln 2): m x stepHigh is exact for the m here.
  const stepHigh = 0.6931471803691238 / 32;
  const stepLow = 1.9082149292705877e-10 / 32;
  const count = within.length;
  // Block row b's kernel value at column j: rows[b * total + j]. Column j's tables:
  // tables[32 j + mask] (rows 0-3) and tables[32 j + 16 + mask] (rows 4-7).
  const rows = scratch.subarray(0, blockRows * total);
  const tables = scratch.subarray(blockRows * total, (blockRows + 32) * total);
  const lowMask = new Int32Array(count);
  const highMask = new Int32Array(count);
  const start = new Int32Array(count);
  const touched = new Int32Array(count);
  for (let i0 = from; i0 < to; i0 += blockRows) {
    const i1 = Math.min(to, i0 + blockRows);
    for (let i = i0; i < i1; i++) {
      const base = i * total - (i * (i + 1)) / 2 - i - 1;
      const row = (i - i0) * total;
      let s = 0;
      for (let j = i + 1; j < total; j++) {
        // Below -745.2 exp underflows to 0; the clamp keeps the power index in the table.
        const x = Math.max(-gamma * packed[base + j]!, -745.5);
        const m = Math.floor(x * toSteps + 0.5);
        const r = x - m * stepHigh - m * stepLow;
        const poly = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
        const mi = m | 0;
        const v = poly * fractions[mi & 31]! * powers[-(mi >> 5)]!;
        rows[row + j] = v;
        s += v;
        rowSums[j]! += v;
      }
      rowSums[i]! += s;
    }
    // A short last block: its missing rows count as zeros.
    for (let b = i1 - i0; b < blockRows; b++) rows.fill(0, b * total + i1, (b + 1) * total);
    for (let j = i1; j < total; j++) {
      for (let half = 0; half < 2; half++) {
        const v0 = rows[4 * half * total + j]!;
        const v1 = rows[(4 * half + 1) * total + j]!;
        const v2 = rows[(4 * half + 2) * total + j]!;
        const v3 = rows[(4 * half + 3) * total + j]!;
        const o = 32 * j + 16 * half;
        const v01 = v0 + v1;
        const v23 = v2 + v3;
        tables[o] = 0;
        tables[o + 1] = v0;
        tables[o + 2] = v1;
        tables[o + 3] = v01;
        tables[o + 4] = v2;
        tables[o + 5] = v0 + v2;
        tables[o + 6] = v1 + v2;
        tables[o + 7] = v01 + v2;
        tables[o + 8] = v3;
        tables[o + 9] = v0 + v3;
        tables[o + 10] = v1 + v3;
        tables[o + 11] = v01 + v3;
        tables[o + 12] = v23;
        tables[o + 13] = v0 + v23;
        tables[o + 14] = v1 + v23;
        tables[o + 15] = v01 + v23;
      }
    }
    // Which block rows each list holds, and where its members after the block begin (the
    // successor of its last member in the block: rows visited in order, the last one wins).
    let touchedCount = 0;
    for (let i = i0; i < i1; i++) {
      const b = i - i0;
      for (let e = memberStarts[i]!; e < memberStarts[i + 1]!; e++) {
        const list = memberLists[e]!;
        if (lowMask[list] === 0 && highMask[list] === 0) touched[touchedCount++] = list;
        if (b < 4) lowMask[list]! |= 1 << b;
        else highMask[list]! |= 1 << (b - 4);
        start[list] = memberNext[e]!;
      }
    }
    for (let q = 0; q < touchedCount; q++) {
      const list = touched[q]!;
      const low = lowMask[list]!;
      const high = 16 + highMask[list]!;
      const members = lowMask[list]! | (highMask[list]! << 4);
      // Pairs inside the block.
      let inside = 0;
      for (let a = 0; a < blockRows; a++) {
        if ((members & (1 << a)) === 0) continue;
        for (let b = a + 1; b < blockRows; b++) if (members & (1 << b)) inside += rows[a * total + i0 + b]!;
      }
      // Two accumulators: one running sum is a chain of dependent additions.
      let s0 = 0;
      let s1 = 0;
      const end = (list + 1) * k;
      let t = start[list]!;
      for (; t + 1 < end; t += 2) {
        const j0 = lists[t]! << 5;
        const j1 = lists[t + 1]! << 5;
        s0 += tables[j0 + low]! + tables[j0 + high]!;
        s1 += tables[j1 + low]! + tables[j1 + high]!;
      }
      if (t < end) {
        const j0 = lists[t]! << 5;
        s0 += tables[j0 + low]! + tables[j0 + high]!;
      }
      within[list]! += inside + (s0 + s1);
      lowMask[list] = 0;
      highMask[list] = 0;
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
 * pair counts (row i has n - 1 - i pairs), each boundary a multiple of `align` (default 2,
 * so 2-row distance tiles stay whole; the kernel pass asks for its 8-row blocks).
 */
export function balancedRowRanges(n: number, parts: number, align = 2): number[] {
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
    bounds.push(Math.min(row + ((align - (row % align)) % align), n));
  }
  bounds.push(n);
  return bounds;
}
