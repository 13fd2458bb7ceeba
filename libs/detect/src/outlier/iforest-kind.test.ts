import { DeadlineExceededError, InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { IsolationForest } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { correlatedTable, numericTable } from '../../test/outlier-data.js';
import type { FittedState } from '../kinds/detector-kind.js';
import { toRowMajor } from '../table/feature-table.js';
import { DEFAULT_IFOREST_MAX_SAMPLES, iforestKind } from './iforest-kind.js';
import { STATS_OUTLIER_KERNELS } from './outlier-kernels.js';

const kind = iforestKind(STATS_OUTLIER_KERNELS, 2, () => 777);
const reference = correlatedTable(500, 1);
const batch = correlatedTable(50, 2);

/** What the store keeps and reads back: the JSON through text, the arrays as copies. */
function reloaded(state: FittedState): FittedState {
  const copy = JSON.parse(JSON.stringify({ ...state, arrays: {} })) as FittedState;
  return {
    ...copy,
    arrays: Object.fromEntries(Object.entries(state.arrays).map(([k, v]) => [k, Float64Array.from(v)])),
  };
}

describe('iforest kind', () => {
  it('fitAsync grows the same forest as fit, yielding to the event loop between slices', async () => {
    const big = correlatedTable(2000, 9);
    const params = { nEstimators: 200, maxSamples: 1024, seed: 3 };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let fitted: FittedState;
    try {
      fitted = await kind.fitAsync!(big, params);
    } finally {
      clearInterval(timer);
    }
    // A timer fired during the fit: the loop was not held for its whole length.
    expect(ticks).toBeGreaterThan(0);
    const sync = kind.fit(big, params);
    expect(fitted.json).toEqual(sync.json);
    expect(fitted.params).toEqual(sync.params);
    for (const [key, values] of Object.entries(sync.arrays)) {
      expect(Array.from(fitted.arrays[key]!)).toEqual(Array.from(values));
    }
  });

  it('fitAsync stops when the budget is spent or cancelled, saying how far it got', async () => {
    const params = { nEstimators: 50, seed: 3 };
    await expect(
      kind.fitAsync!(reference, params, { budget: { deadlineMs: Date.now() - 1 } }),
    ).rejects.toThrow(DeadlineExceededError);
    await expect(
      kind.fitAsync!(reference, params, { budget: { deadlineMs: Date.now() - 1 } }),
    ).rejects.toThrow(/0 of 50 trees grown; nothing is saved/);
    const reason = new Error('client went away');
    await expect(
      kind.fitAsync!(reference, params, { budget: { cancellation: { cancelReason: reason } as never } }),
    ).rejects.toBe(reason);
  });

  it('refuses a forest too large naming the parameters to lower, not the kernel option', () => {
    const wide = correlatedTable(2000, 4);
    const fit = () => kind.fit(wide, { nEstimators: 10_000, maxSamples: 2000 });
    expect(fit).toThrow(ResourceExhaustedError);
    expect(fit).toThrow(/lower parameter "nEstimators" \(config.iforest.n_estimators\) or "maxSamples"/);
    expect(fit).not.toThrow(/maxNodes/);
  });

  it('fills every default in the params, with the drawn seed and min(256, rows) rows per tree', () => {
    expect(kind.fit(reference).params).toEqual({
      nEstimators: 100,
      maxSamples: DEFAULT_IFOREST_MAX_SAMPLES,
      maxFeatures: 1,
      bootstrap: false,
      seed: 777,
    });
    const small = correlatedTable(40, 3);
    expect(kind.fit(small, { seed: 5 }).params).toMatchObject({ maxSamples: 40, seed: 5 });
    // More rows per tree than the reference has is clipped to them, as scikit-learn.
    expect(kind.fit(small, { maxSamples: 1000 }).params.maxSamples).toBe(40);
  });

  it('scores the negated score_samples of the libs/stats forest fitted with the same parameters', () => {
    const params = { nEstimators: 50, maxSamples: 128, maxFeatures: 0.7, bootstrap: true, seed: 9 };
    const scores = kind.score(kind.fit(reference, params), batch).instanceScores;
    const forest = IsolationForest.fit(
      { rows: reference.rows, cols: 3, data: toRowMajor(reference) },
      params,
    );
    const expected = forest.scoreSamples({ rows: batch.rows, cols: 3, data: toRowMajor(batch) });
    expect(Array.from(scores)).toEqual(Array.from(expected, (v) => -v));
    for (const v of scores) expect(v).toBeGreaterThan(0);
  });

  it('scores a saved and reloaded state as the fitted one, and the same twice', () => {
    const state = kind.fit(reference, { seed: 3 });
    const first = kind.score(state, batch).instanceScores;
    expect(kind.score(state, batch).instanceScores).toEqual(first);
    expect(kind.score(reloaded(state), batch).instanceScores).toEqual(first);
  });

  it('ranks a planted far point above the reference rows', () => {
    const state = kind.fit(reference, { seed: 4 });
    const far = numericTable(['a', 'b', 'c'], 1, (_, c) => [400, 30, -5][c]!);
    const own = kind.score(state, reference).instanceScores;
    expect(kind.score(state, far).instanceScores[0]).toBeGreaterThan(Math.max(...own));
  });

  it('refuses parameters out of range, naming them', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ nEstimators: 0 }, 'nEstimators'],
      [{ nEstimators: 10_001 }, 'nEstimators'],
      [{ nEstimators: 2.5 }, 'nEstimators'],
      [{ maxSamples: 0 }, 'maxSamples'],
      [{ maxFeatures: 0 }, 'maxFeatures'],
      [{ maxFeatures: 1.5 }, 'maxFeatures'],
      [{ bootstrap: 'yes' }, 'bootstrap'],
      [{ seed: -1 }, 'seed'],
      [{ contamination: 0.1 }, 'contamination'],
    ];
    for (const [params, field] of cases) {
      const error = (() => {
        try {
          kind.fit(reference, params);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe(`params.${field}`);
      expect((error as Error).message).toContain(`"${field}"`);
    }
  });

  it('refuses categorical columns, non-finite cells and other columns, naming them', () => {
    const categorical = { ...reference, kinds: ['numeric', 'categorical', 'numeric'] as const };
    expect(() => kind.fit(categorical)).toThrow(/column "b" is categorical/);
    const withNaN = numericTable(['a', 'b', 'c'], 5, (r, c) => (r === 3 && c === 2 ? Number.NaN : r + c));
    expect(() => kind.fit(withNaN)).toThrow(/column "c", row 3/);
    const state = kind.fit(reference, { seed: 1 });
    expect(() =>
      kind.score(
        state,
        numericTable(['a', 'b'], 2, () => 0),
      ),
    ).toThrow(/expected 3 features/);
    expect(() => kind.fit(numericTable(['a'], 1, () => 0))).toThrow(/at least 2 rows/);
  });
});
