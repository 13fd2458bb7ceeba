/**
 * A TEST DOUBLE of @sightline/stats's kernels: small, direct implementations that let the
 * detector machinery be tested before and apart from the real kernels. They are NOT the
 * fidelity-tested kernels and are never used by a service:
 * - KS: exact statistic, p-value from the asymptotic Kolmogorov distribution with
 *   Stephens' small-sample factor (two-sided only; `method` is ignored).
 * - CVM: scipy's statistic, p-value by a seeded permutation test (199 permutations), not
 *   scipy's asymptotic series.
 * - chi2: scipy's `chi2_contingency` on 2 x k (Yates when dof is 1), chi-square survival
 *   function by the regularized incomplete gamma function.
 * - MMD: unbiased MMD^2 with a Gaussian kernel, sigma = median pairwise distance of the
 *   pooled sample, seeded permutation test.
 * - LSDD: a STAND-IN (squared distance between the means, permutation test), not LSDD.
 * - PCA: a STAND-IN with zero components (error = mean squared standardised distance to the
 *   reference mean).
 * - Online MMD and CVM: libs/stats's own (their thresholds are a simulation, which a double
 *   would only repeat).
 * - Effect sizes: 10 bins at reference deciles, PSI with 1e-4 floors, Jensen-Shannon
 *   distance (base 2), Hellinger distance; exact 1-Wasserstein of the empirical samples.
 * - Summarised windows (KS against a sketch, sketched effect sizes): @sightline/stats's own
 *   functions, since a sketch has no simpler independent form; libs/stats tests them against
 *   the exact tests.
 */
import { CvmDriftOnline, ks2SampSketch, MmdDriftOnline, sketchedNumericEffectSizes } from '@sightline/stats';
import type {
  Correction,
  DenseMatrix,
  DriftKernels,
  EffectSizes,
  PcaModel,
  TwoSampleTestResult,
} from '../kernels.js';

/** Mulberry32: a tiny seeded generator of floats in [0, 1). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sorted(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x).sort();
}

function ksStatistic(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const v = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

function kolmogorovSf(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = (k % 2 === 1 ? 2 : -2) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

function ksSorted(a: Float64Array, b: Float64Array) {
  const statistic = ksStatistic(a, b);
  const en = Math.sqrt((a.length * b.length) / (a.length + b.length));
  return { statistic, pValue: kolmogorovSf((en + 0.12 + 0.11 / en) * statistic), method: 'asymp' as const };
}

function averageRanks(values: Float64Array): Float64Array {
  const order = [...values.keys()].sort((p, q) => values[p]! - values[q]!);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

function cvmStatistic(pooled: Float64Array, n: number): number {
  const m = pooled.length - n;
  const ranks = averageRanks(pooled);
  const rx = Float64Array.from(ranks.subarray(0, n)).sort();
  const ry = Float64Array.from(ranks.subarray(n)).sort();
  let u = 0;
  for (let i = 0; i < n; i++) u += n * (rx[i]! - (i + 1)) ** 2;
  for (let j = 0; j < m; j++) u += m * (ry[j]! - (j + 1)) ** 2;
  const k = n + m;
  return u / (n * m * k) - (4 * m * n - 1) / (6 * k);
}

function shuffle(values: Float64Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
}

/** Regularized upper incomplete gamma Q(a, x) (Numerical Recipes' series and continued fraction). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnGammaA = lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let del = sum;
    for (let n = 1; n < 500; n++) {
      del *= x / (a + n);
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lnGammaA);
  }
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGammaA) * h;
}

function lnGamma(z: number): number {
  const g = [
    676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - lnGamma(1 - z);
  z -= 1;
  let x = 0.99999999999980993;
  for (let i = 0; i < g.length; i++) x += g[i]! / (z + i + 1);
  const t = z + g.length - 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

function chi2Contingency(table: readonly (readonly number[])[], o?: { correction?: boolean }) {
  const rows = table.length;
  const cols = table[0]!.length;
  const rowSums = table.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = Array.from({ length: cols }, (_, j) => table.reduce((a, r) => a + r[j]!, 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const expected = table.map((_, i) => colSums.map((c) => (rowSums[i]! * c) / total));
  const dof = (rows - 1) * (cols - 1);
  if (dof === 0) return { statistic: 0, pValue: 1, dof, expected };
  const yates = (o?.correction ?? true) && dof === 1;
  let statistic = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const e = expected[i]![j]!;
      let diff = table[i]![j]! - e;
      if (yates) diff = Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5);
      statistic += (diff * diff) / e;
    }
  }
  return { statistic, pValue: gammaQ(dof / 2, statistic / 2), dof, expected };
}

function correctPValues(pValues: readonly number[], alpha: number, correction: Correction) {
  const m = pValues.length;
  let threshold = alpha / m;
  if (correction === 'fdr') {
    const ascending = [...pValues].sort((a, b) => a - b);
    threshold = 0;
    for (let k = m; k >= 1; k--) {
      if (ascending[k - 1]! <= (k / m) * alpha) {
        threshold = (k / m) * alpha;
        break;
      }
    }
  }
  const rejected = pValues.map((p) =>
    correction === 'fdr' ? p <= threshold && threshold > 0 : p < threshold,
  );
  return { threshold, rejected, anyRejected: rejected.some(Boolean) };
}

function squaredDistance(a: DenseMatrix, i: number, b: DenseMatrix, j: number): number {
  let s = 0;
  for (let c = 0; c < a.cols; c++) {
    const d = a.data[i * a.cols + c]! - b.data[j * b.cols + c]!;
    s += d * d;
  }
  return s;
}

function stack(x: DenseMatrix, y: DenseMatrix): DenseMatrix {
  const data = new Float64Array(x.data.length + y.data.length);
  data.set(x.data);
  data.set(y.data, x.data.length);
  return { rows: x.rows + y.rows, cols: x.cols, data };
}

function medianHeuristicSigma(x: DenseMatrix, y: DenseMatrix): number {
  const z = stack(x, y);
  const d: number[] = [];
  for (let i = 0; i < z.rows; i++)
    for (let j = i + 1; j < z.rows; j++) d.push(Math.sqrt(squaredDistance(z, i, z, j)));
  d.sort((a, b) => a - b);
  const mid = d.length >> 1;
  const median = d.length % 2 === 1 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2;
  return median > 0 ? median : 1;
}

function mmd2FromGram(gram: Float64Array, n: number, index: Int32Array, nx: number): number {
  const ny = n - nx;
  let kxx = 0;
  let kyy = 0;
  let kxy = 0;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      if (a === b) continue;
      const k = gram[index[a]! * n + index[b]!]!;
      if (a < nx && b < nx) kxx += k;
      else if (a >= nx && b >= nx) kyy += k;
      else kxy += k;
    }
  }
  return kxx / (nx * (nx - 1)) + kyy / (ny * (ny - 1)) - kxy / (nx * ny);
}

function gaussianGram(z: DenseMatrix, sigma: number): Float64Array {
  const gram = new Float64Array(z.rows * z.rows);
  for (let i = 0; i < z.rows; i++) {
    for (let j = i; j < z.rows; j++) {
      const k = Math.exp(-squaredDistance(z, i, z, j) / (2 * sigma * sigma));
      gram[i * z.rows + j] = k;
      gram[j * z.rows + i] = k;
    }
  }
  return gram;
}

function permutationP(observed: number, permuted: number[]): { pValue: number; threshold: number } {
  const sortedPermuted = [...permuted].sort((a, b) => a - b);
  return {
    pValue: permuted.filter((s) => s >= observed).length / permuted.length,
    threshold: sortedPermuted[Math.floor(0.95 * (sortedPermuted.length - 1))]!,
  };
}

function shuffledIndex(n: number, random: () => number): Int32Array {
  const f = Float64Array.from({ length: n }, (_, i) => i);
  shuffle(f, random);
  return Int32Array.from(f);
}

function meanDistance(z: DenseMatrix, index: Int32Array, nx: number): number {
  let s = 0;
  for (let c = 0; c < z.cols; c++) {
    let mx = 0;
    let my = 0;
    for (let a = 0; a < z.rows; a++) {
      const v = z.data[index[a]! * z.cols + c]!;
      if (a < nx) mx += v;
      else my += v;
    }
    s += (mx / nx - my / (z.rows - nx)) ** 2;
  }
  return s;
}

const EFFECT_BINS = 10;
const EFFECT_FLOOR = 1e-4;

function distances(p: number[], q: number[]): Omit<EffectSizes, 'wasserstein'> {
  let psi = 0;
  let js = 0;
  let bc = 0;
  for (let i = 0; i < p.length; i++) {
    const a = Math.max(p[i]!, EFFECT_FLOOR);
    const b = Math.max(q[i]!, EFFECT_FLOOR);
    psi += (b - a) * Math.log(b / a);
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) js += 0.5 * p[i]! * Math.log2(p[i]! / m);
    if (q[i]! > 0) js += 0.5 * q[i]! * Math.log2(q[i]! / m);
    bc += Math.sqrt(p[i]! * q[i]!);
  }
  return { psi, jensenShannon: Math.sqrt(Math.max(0, js)), hellinger: Math.sqrt(Math.max(0, 1 - bc)) };
}

function wasserstein(a: Float64Array, b: Float64Array): number {
  const all = sorted([...a, ...b]);
  let i = 0;
  let j = 0;
  let w = 0;
  for (let k = 0; k + 1 < all.length; k++) {
    while (i < a.length && a[i]! <= all[k]!) i++;
    while (j < b.length && b[j]! <= all[k]!) j++;
    w += Math.abs(i / a.length - j / b.length) * (all[k + 1]! - all[k]!);
  }
  return w;
}

function binShares(edges: number[], values: Float64Array): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let k = 0;
    while (k < edges.length && v > edges[k]!) k++;
    counts[k]!++;
  }
  return counts.map((c) => c / values.length);
}

/** The test double; see the file's comment for what each kernel really computes. */
export const referenceKernels: DriftKernels = {
  ks2Samp: (x, y) => ksSorted(sorted(x), sorted(y)),
  ks2SampSorted: (x, y) => ksSorted(x, y),
  cramerVonMises2Samp(x, y): TwoSampleTestResult {
    const pooled = Float64Array.from([...Array.from(x), ...Array.from(y)]);
    const statistic = cvmStatistic(pooled, x.length);
    const random = seededUniform(20261203);
    const permuted: number[] = [];
    for (let p = 0; p < 199; p++) {
      shuffle(pooled, random);
      permuted.push(cvmStatistic(pooled, x.length));
    }
    return { statistic, pValue: (permuted.filter((s) => s >= statistic).length + 1) / 200 };
  },
  chi2Contingency,
  correctPValues,
  medianHeuristicSigma,
  mmd2Unbiased(x, y, sigma) {
    const z = stack(x, y);
    return mmd2FromGram(
      gaussianGram(z, sigma),
      z.rows,
      Int32Array.from({ length: z.rows }, (_, i) => i),
      x.rows,
    );
  },
  mmdPermutationTest(x, y, o) {
    const sigma = o.sigma ?? medianHeuristicSigma(x, y);
    const z = stack(x, y);
    const gram = gaussianGram(z, sigma);
    const identity = Int32Array.from({ length: z.rows }, (_, i) => i);
    const statistic = mmd2FromGram(gram, z.rows, identity, x.rows);
    const random = seededUniform(o.seed);
    const permuted: number[] = [];
    for (let p = 0; p < (o.permutations ?? 100); p++) {
      permuted.push(mmd2FromGram(gram, z.rows, shuffledIndex(z.rows, random), x.rows));
    }
    const { pValue, threshold } = permutationP(statistic, permuted);
    return { statistic, pValue, sigma, distanceThreshold: threshold };
  },
  lsddPermutationTest(reference, sample, o) {
    const z = stack(reference, sample);
    const statistic = meanDistance(
      z,
      Int32Array.from({ length: z.rows }, (_, i) => i),
      reference.rows,
    );
    const random = seededUniform(o.seed);
    const permuted: number[] = [];
    for (let p = 0; p < (o.permutations ?? 100); p++) {
      permuted.push(meanDistance(z, shuffledIndex(z.rows, random), reference.rows));
    }
    const { pValue, threshold } = permutationP(statistic, permuted);
    return { statistic, pValue, distanceThreshold: threshold };
  },
  ks2SampSketch: (referenceSorted, window, o) => ks2SampSketch(referenceSorted, window, o),
  sketchedNumericEffectSizes: (referenceSorted, window) =>
    sketchedNumericEffectSizes(referenceSorted, window),
  numericEffectSizes(referenceSorted, sample) {
    const edges: number[] = [];
    for (let b = 1; b < EFFECT_BINS; b++) {
      edges.push(
        referenceSorted[
          Math.min(referenceSorted.length - 1, Math.floor((b * referenceSorted.length) / EFFECT_BINS))
        ]!,
      );
    }
    const s = sorted(sample);
    return {
      ...distances(binShares(edges, referenceSorted), binShares(edges, s)),
      wasserstein: wasserstein(referenceSorted, s),
    };
  },
  categoricalEffectSizes(reference, sample) {
    const keys = [...new Set([...reference.keys(), ...sample.keys()])];
    const total = (m: ReadonlyMap<string | number, number>) =>
      [...m.values()].reduce((a, b) => a + b, 0) || 1;
    const rt = total(reference);
    const st = total(sample);
    return distances(
      keys.map((k) => (reference.get(k) ?? 0) / rt),
      keys.map((k) => (sample.get(k) ?? 0) / st),
    );
  },
  PcaReconstruction: {
    fit(reference) {
      return zeroComponentPca(columnMoments(reference));
    },
    fromJSON(json) {
      const j = json as { mean: number[]; std: number[] };
      return zeroComponentPca(j);
    },
  },
  MmdDriftOnline,
  CvmDriftOnline,
};

function columnMoments(x: DenseMatrix): { mean: number[]; std: number[] } {
  const mean = new Array<number>(x.cols).fill(0);
  const std = new Array<number>(x.cols).fill(0);
  for (let r = 0; r < x.rows; r++)
    for (let c = 0; c < x.cols; c++) mean[c]! += x.data[r * x.cols + c]! / x.rows;
  for (let r = 0; r < x.rows; r++) {
    for (let c = 0; c < x.cols; c++)
      std[c]! += (x.data[r * x.cols + c]! - mean[c]!) ** 2 / Math.max(1, x.rows - 1);
  }
  return { mean, std: std.map((v) => Math.sqrt(v) || 1) };
}

function zeroComponentPca(m: { mean: number[]; std: number[] }): PcaModel {
  return {
    error(batch) {
      let s = 0;
      for (let r = 0; r < batch.rows; r++) {
        for (let c = 0; c < batch.cols; c++)
          s += ((batch.data[r * batch.cols + c]! - m.mean[c]!) / m.std[c]!) ** 2;
      }
      return s / batch.rows;
    },
    toJSON: () => ({ mean: m.mean, std: m.std }),
  };
}
