import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KMeansStoppedError, kMeans, kMeansSummary } from '../src/clustering/k-means.js';
import { seededRandom } from '../src/random/seeded-random.js';
import { runSklearn } from './run-sklearn.js';

/** scikit-learn's KMeans (random_state 0, n_init 10) on the same rows, as shap.kmeans calls it. */
const SKLEARN_KMEANS = `
from sklearn.cluster import KMeans
x = np.array(data['x']).reshape(data['rows'], data['cols'])
m = KMeans(n_clusters=data['k'], random_state=0, n_init=10).fit(x)
print(json.dumps({'centres': m.cluster_centers_.tolist(), 'counts': np.bincount(m.labels_, minlength=data['k']).tolist(), 'inertia': float(m.inertia_)}))
`;

/**
 * `k` gaussian blobs of `perCluster` rows (sd 0.5) whose centres are 10 units apart on a
 * diagonal: the optimum is the blobs themselves, which every k-means++ start finds, so both
 * implementations must land on the same partition and hence the same means.
 */
function blobs(k: number, perCluster: number, cols: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  const x = new Float64Array(k * perCluster * cols);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < perCluster; i++)
      for (let d = 0; d < cols; d++)
        x[(c * perCluster + i) * cols + d] = 10 * c * (d % 2 === 0 ? 1 : -1) + 0.5 * r.nextNormal();
  return x;
}

/** Centres sorted by their first coordinate, so two clusterings compare whatever their label order. */
function sortedCentres(centres: ArrayLike<number>, k: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let c = 0; c < k; c++) out.push(Array.from({ length: cols }, (_, d) => centres[c * cols + d]!));
  return out.sort((a, b) => a[0]! - b[0]!);
}

describe('kMeans', () => {
  it('finds the same centres, counts and inertia as scikit-learn on separated blobs', () => {
    const k = 4;
    const cols = 3;
    const x = blobs(k, 50, cols, 7);
    const ours = kMeans(x, 200, cols, k, seededRandom(1));
    const theirs = runSklearn<{ centres: number[][]; counts: number[]; inertia: number }>(SKLEARN_KMEANS, {
      x: Array.from(x),
      rows: 200,
      cols,
      k,
    });
    const a = sortedCentres(ours.centres, k, cols);
    const b = sortedCentres(theirs.centres.flat(), k, cols);
    for (let c = 0; c < k; c++) for (let d = 0; d < cols; d++) expect(a[c]![d]).toBeCloseTo(b[c]![d]!, 9);
    expect([...ours.counts].sort((p, q) => p - q)).toEqual([...theirs.counts].sort((p, q) => p - q));
    expect(ours.inertia).toBeCloseTo(theirs.inertia, 6);
  });

  it('assigns every row to its nearest centre, counts the clusters and sums the inertia', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (count, cols, k, seed) => {
          const r = seededRandom(seed);
          const x = Float64Array.from({ length: count * cols }, () => Math.round(r.nextNormal() * 4));
          const result = kMeans(x, count, cols, k, seededRandom(seed), { restarts: 2 });
          expect(result.k).toBe(Math.min(k, count));
          let inertia = 0;
          const counts = new Float64Array(result.k);
          for (let i = 0; i < count; i++) {
            const distances = Array.from({ length: result.k }, (_, c) => {
              let s = 0;
              for (let d = 0; d < cols; d++) s += (x[i * cols + d]! - result.centres[c * cols + d]!) ** 2;
              return s;
            });
            const label = result.labels[i]!;
            expect(distances[label]).toBeLessThanOrEqual(Math.min(...distances) + 1e-9);
            counts[label]! += 1;
            inertia += distances[label]!;
          }
          expect(Array.from(result.counts)).toEqual(Array.from(counts));
          expect(result.inertia).toBeCloseTo(inertia, 6);
        },
      ),
    );
  });
});

describe('kMeansSummary', () => {
  it('weights sum to the rows, and rounded centres hold only values of their column', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer(),
        (count, k, seed) => {
          const cols = 2;
          const r = seededRandom(seed);
          const x = Float64Array.from({ length: count * cols }, () => r.nextInt(5) + 0.5 * r.nextInt(3));
          const summary = kMeansSummary(x, count, cols, k, seededRandom(seed), { restarts: 2 });
          expect(Array.from(summary.weights).reduce((a, b) => a + b, 0)).toBe(count);
          expect(summary.weights.every((w) => w > 0)).toBe(true);
          for (let j = 0; j < summary.count; j++)
            for (let d = 0; d < cols; d++) {
              const column = Array.from({ length: count }, (_, i) => x[i * cols + d]!);
              expect(column).toContain(summary.rows[j * cols + d]);
            }
        },
      ),
    );
  });

  it('stops when shouldStop says so, after as many checks as it was allowed', () => {
    const x = blobs(3, 20, 2, 3);
    for (const allowed of [0, 1, 3, 10]) {
      let asked = 0;
      expect(() =>
        kMeansSummary(x, 60, 2, 3, seededRandom(5), { shouldStop: () => asked++ >= allowed }),
      ).toThrow(KMeansStoppedError);
      expect(asked).toBe(allowed + 1);
    }
    // Never stopping changes nothing.
    const free = kMeansSummary(x, 60, 2, 3, seededRandom(5), { shouldStop: () => false });
    expect(Array.from(free.rows)).toEqual(Array.from(kMeansSummary(x, 60, 2, 3, seededRandom(5)).rows));
  });

  it('is the same for the same seed', () => {
    const x = blobs(3, 20, 2, 3);
    const a = kMeansSummary(x, 60, 2, 3, seededRandom(5));
    const b = kMeansSummary(x, 60, 2, 3, seededRandom(5));
    expect(Array.from(a.rows)).toEqual(Array.from(b.rows));
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
  });
});
