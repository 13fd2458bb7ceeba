import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import {
  correlatedTable,
  maxRelativeError,
  numericTable,
  rowsOf,
  runNumpy,
} from '../../test/outlier-data.js';
import { mahalanobisKind } from './mahalanobis-kind.js';
import { STATS_OUTLIER_KERNELS } from './outlier-kernels.js';

const kind = mahalanobisKind(STATS_OUTLIER_KERNELS, 2, () => 4242);
const reference = correlatedTable(300, 11, ['a', 'b', 'c', 'd']);
const batch = correlatedTable(40, 12, ['a', 'b', 'c', 'd']);

/** numpy's squared distances of `batch` rows to `reference` under np.cov (ddof = 1). */
const NUMPY_DISTANCES = `
x = np.array(data['reference']); y = np.array(data['batch'])
p = np.linalg.inv(np.cov(x, rowvar=False))
c = y - x.mean(axis=0)
print(json.dumps(np.einsum('ij,jk,ik->i', c, p, c).tolist()))
`;

function errorOf(f: () => unknown): InvalidArgumentError {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidArgumentError) return e;
    throw e;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('mahalanobis kind', () => {
  it('fitAsync gives the fit exactly, yielding to the event loop between C-steps of a robust fit', async () => {
    const big = correlatedTable(3000, 13, ['a', 'b', 'c', 'd']);
    const params = { robust: true, seed: 9 };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let fitted: Awaited<ReturnType<NonNullable<typeof kind.fitAsync>>>;
    try {
      fitted = await kind.fitAsync!(big, params);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
    const sync = kind.fit(big, params);
    expect(fitted.json).toEqual(sync.json);
    for (const [key, values] of Object.entries(sync.arrays)) {
      expect(Array.from(fitted.arrays[key]!)).toEqual(Array.from(values));
    }
    await expect(kind.fitAsync!(big, params, { budget: { deadlineMs: Date.now() - 1 } })).rejects.toThrow(
      /robust covariance \(MCD\): the fit's deadline passed with 0 C-steps done; nothing is saved/,
    );
  });

  it("scores numpy's squared distances (np.cov, ddof = 1) to 1e-9", () => {
    const state = kind.fit(reference);
    const expected = runNumpy<number[]>(NUMPY_DISTANCES, {
      reference: rowsOf(reference),
      batch: rowsOf(batch),
    });
    expect(maxRelativeError(kind.score(state, batch).instanceScores, expected)).toBeLessThan(1e-9);
  });

  it('fills the defaults in the params with the drawn seed', () => {
    expect(kind.fit(reference).params).toEqual({ maxN: 0, robust: false, ridge: 0, seed: 4242 });
    expect(kind.fit(reference, { robust: true, supportFraction: 0.8, seed: 1 }).params).toEqual({
      maxN: 0,
      robust: true,
      supportFraction: 0.8,
      ridge: 0,
      seed: 1,
    });
  });

  it('names a constant feature by its column name, and fits it with a ridge', () => {
    const constant = numericTable(['age', 'flat', 'income'], 50, (r, c) =>
      c === 1 ? 7 : ((r * (c + 3)) % 11) + r / 7,
    );
    const error = errorOf(() => kind.fit(constant));
    expect(error.message).toMatch(/"flat" is constant/);
    expect(error.message).toContain('"ridge"');
    expect(error.field).toBe('reference');
    const state = kind.fit(constant, { ridge: 1e-3 });
    for (const v of kind.score(state, constant).instanceScores) expect(Number.isFinite(v)).toBe(true);
  });

  it('names a column whose finite values overflow its variance, with or without a ridge', () => {
    const huge = numericTable(['age', 'wealth'], 50, (r, c) =>
      c === 1 ? (r % 2 === 0 ? 1e308 : -1e308) : r,
    );
    for (const params of [{}, { ridge: 1e-3 }]) {
      const error = errorOf(() => kind.fit(huge, params));
      expect(error.message).toMatch(
        /column "wealth" has values so large that its variance overflows float64/,
      );
      expect(error.field).toBe('reference');
    }
  });

  it('names collinear features by their column names', () => {
    const base = correlatedTable(60, 5, ['x', 'y', 'z']);
    const collinear = numericTable(['x', 'y', 'sum'], 60, (r, c) =>
      c < 2 ? base.columns[c]![r]! : base.columns[0]![r]! + 2 * base.columns[1]![r]!,
    );
    expect(errorOf(() => kind.fit(collinear)).message).toMatch(/"sum" is a linear combination of "x", "y"/);
    expect(() => kind.fit(collinear, { ridge: 1e-6 })).not.toThrow();
    // A ridge too small to lift the smallest pivot says to raise it.
    expect(errorOf(() => kind.fit(collinear, { ridge: 1e-14 })).message).toContain(
      'raise parameter "ridge" (1e-14)',
    );
  });

  it('needs more reference rows than features, and says so', () => {
    const few = correlatedTable(4, 3, ['a', 'b', 'c', 'd']);
    expect(errorOf(() => kind.fit(few)).message).toMatch(
      /more reference rows than features: 4 rows for 4 features/,
    );
  });

  it('fits robustly by MCD, which a planted cluster of outliers does not drag', () => {
    const contaminated = numericTable(['a', 'b'], 200, (r, c) =>
      r < 20 ? 50 + c : reference.columns[c + 1]![r]!,
    );
    const plain = kind.fit(contaminated);
    const robust = kind.fit(contaminated, { robust: true, seed: 3 });
    const planted = numericTable(['a', 'b'], 1, (_, c) => 50 + c);
    expect(kind.score(robust, planted).instanceScores[0]).toBeGreaterThan(
      10 * kind.score(plain, planted).instanceScores[0]!,
    );
  });

  it('refuses parameters out of range, naming them', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ maxN: -1 }, 'maxN'],
      [{ maxN: 4 }, 'maxN'],
      [{ robust: 1 }, 'robust'],
      [{ robust: true, supportFraction: 0.5 }, 'supportFraction'],
      [{ supportFraction: 0.9 }, 'supportFraction'],
      [{ ridge: -1 }, 'ridge'],
      [{ seed: 1.5 }, 'seed'],
      [{ nComponents: 2 }, 'nComponents'],
    ];
    for (const [params, field] of cases) {
      const error = errorOf(() => kind.fit(reference, params));
      expect(error.field, field).toBe(`params.${field}`);
      expect(error.message).toContain(`"${field}"`);
    }
  });
});
