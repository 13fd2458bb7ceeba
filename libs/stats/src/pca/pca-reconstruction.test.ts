import { describe, expect, it } from 'vitest';
import { normalMatrix, runPython, toNested } from '../../test/run-numpy.js';
import type { DenseMatrix } from '../matrix.js';
import { PcaReconstruction } from './pca-reconstruction.js';

/** numpy's SVD-based computation of NannyML's reconstruction error (StandardScaler + PCA(0.95)). */
const NUMPY_PCA = `
ref = np.array(data['ref']); share = data['share']
mu = ref.mean(0); sd = ref.std(0); sd[sd == 0] = 1
z = (ref - mu) / sd; pm = z.mean(0)
_, S, Vt = np.linalg.svd(z - pm, full_matrices=False)
ratio = S ** 2 / (S ** 2).sum()
k = min(int(np.searchsorted(np.cumsum(ratio), share, side='right')) + 1, len(S))
V = Vt[:k]
def err(b):
    c = (np.array(b) - mu) / sd - pm
    return float(np.linalg.norm(c - (c @ V.T) @ V, axis=1).mean())
print(json.dumps({'k': k, 'errors': [err(b) for b in data['batches']]}))
`;

/** Rows x 6 columns, the last three nearly linear in the first three (so PCA can drop them). */
function correlated(rows: number, seed: number, shift = 0): DenseMatrix {
  const base = normalMatrix(rows, 3, seed, shift);
  const noise = normalMatrix(rows, 3, seed + 1);
  const data = new Float64Array(rows * 6);
  for (let i = 0; i < rows; i++) {
    const [a, b, c] = [base.data[i * 3]!, base.data[i * 3 + 1]!, base.data[i * 3 + 2]!];
    data.set(
      [a * 10, b, c + 5, a + b + 0.05 * noise.data[i * 3]!, b - c + 0.05 * noise.data[i * 3 + 1]!, 7],
      i * 6,
    );
  }
  return { rows, cols: 6, data };
}

describe('PcaReconstruction', () => {
  const reference = correlated(500, 1);
  const same = correlated(200, 11);
  // Break the correlation: column 3 no longer follows columns 0 and 1.
  const broken = correlated(200, 21);
  for (let i = 0; i < broken.rows; i++) broken.data[i * 6 + 3] = -broken.data[i * 6 + 3]!;

  it.each([0.95, 0.5, 0.8])('matches numpy SVD (share %d): components and errors to 1e-9', (share) => {
    const expected = runPython<{ k: number; errors: number[] }>(NUMPY_PCA, {
      ref: toNested(reference),
      share,
      batches: [toNested(reference), toNested(same), toNested(broken)],
    });
    const pca = PcaReconstruction.fit(reference, { varianceExplained: share });
    expect(pca.componentCount).toBe(expected.k);
    [reference, same, broken].forEach((batch, k) => {
      const want = expected.errors[k]!;
      expect(Math.abs(pca.error(batch) - want)).toBeLessThanOrEqual(1e-9 * Math.max(want, 1e-6));
    });
  });

  it('alerts when the correlation structure breaks, not on fresh data from the reference distribution', () => {
    const pca = PcaReconstruction.fit(reference);
    expect(pca.score(same).alert).toBe(false);
    const drifted = pca.score(broken);
    expect(drifted.alert).toBe(true);
    expect(drifted.error).toBeGreaterThan(drifted.upperThreshold);
    expect(drifted.lowerThreshold).toBeGreaterThanOrEqual(0);
  });

  it('round-trips JSON and refuses bad input, naming row and column', () => {
    const pca = PcaReconstruction.fit(reference);
    const restored = PcaReconstruction.fromJSON(JSON.parse(JSON.stringify(pca)));
    expect(restored.error(broken)).toBe(pca.error(broken));
    expect(restored.upperThreshold).toBe(pca.upperThreshold);
    expect(() => PcaReconstruction.fromJSON({ ...pca.toJSON(), schemaVersion: 9 })).toThrow(
      'schemaVersion 9',
    );
    const bad = { ...same, data: same.data.slice() };
    bad.data[6 * 4 + 2] = Number.POSITIVE_INFINITY;
    expect(() => pca.error(bad)).toThrow('batch, row 4, column 2: Infinity is not allowed');
    expect(() => pca.error(normalMatrix(3, 5, 1))).toThrow('batch: expected 6 columns');
    expect(() => PcaReconstruction.fit(normalMatrix(19, 2, 1))).toThrow('at least 20 rows');
    expect(() => PcaReconstruction.fit(normalMatrix(30, 2, 1), { maxReferenceRows: 25 })).toThrow(
      'exceed maxReferenceRows 25',
    );
  });

  it('refuses a share of variance that keeps every component (the error would always be 0)', () => {
    // Two independent columns: 95% of the variance needs both components.
    expect(() => PcaReconstruction.fit(normalMatrix(200, 2, 3))).toThrow(
      'needs all 2 components of the 2 columns',
    );
    expect(() => PcaReconstruction.fit(normalMatrix(200, 1, 3))).toThrow('needs all 1 components');
    expect(PcaReconstruction.fit(normalMatrix(200, 2, 3), { varianceExplained: 0.4 }).componentCount).toBe(1);
  });
});
