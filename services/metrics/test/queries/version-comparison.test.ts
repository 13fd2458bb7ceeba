import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sightline/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_OPTIONS } from '../../src/queries/query-options.js';
import { storeSeriesCatalog } from '../../src/queries/series-catalog.js';
import {
  type ComparisonDeps,
  type ComparisonRequest,
  compareSeries,
} from '../../src/queries/version-comparison.js';
import {
  feedRegression,
  feedRequests,
  type LabelledRequest,
  openTempStore,
  type TempStore,
} from './comparison-store.js';

const V1 = { modelName: 'iris', modelVersion: '1', node: '' };
const V2 = { modelName: 'iris', modelVersion: '2', node: '' };
const WINDOW = { fromMs: 0, toMs: 1_000_000 };

/** n requests; the baseline right when `baselineRight(i)`, the candidate when `candidateRight(i)`. */
function requests(
  n: number,
  baselineRight: (i: number) => boolean,
  candidateRight: (i: number) => boolean,
): LabelledRequest[] {
  return Array.from({ length: n }, (_, i) => {
    const truth = i % 2 === 0 ? 'setosa' : 'versicolor';
    const wrong = truth === 'setosa' ? 'versicolor' : 'setosa';
    return {
      truth,
      baseline: baselineRight(i) ? truth : wrong,
      candidate: candidateRight(i) ? truth : wrong,
    };
  });
}

describe('compareSeries on a real SQLite store', () => {
  let temp: TempStore;
  let deps: ComparisonDeps;
  beforeEach(async () => {
    temp = await openTempStore();
    deps = {
      store: temp.store,
      catalog: storeSeriesCatalog(temp.store),
      segmentNames: ['country'],
      limits: DEFAULT_QUERY_OPTIONS,
    };
  });
  afterEach(() => temp.cleanup());

  const compare = (extra: Partial<ComparisonRequest> = {}) =>
    compareSeries({ baseline: V1, candidate: V2, ...WINDOW, ...extra }, deps);

  it('finds a planted better candidate BETTER by McNemar (and the reverse WORSE)', async () => {
    // 1500 pairs span two store pages (the comparison reads 1000 a page).
    await feedRequests(
      temp.store,
      requests(
        1500,
        (i) => i % 10 < 6,
        (i) => i % 10 < 9,
      ),
    );
    const result = await compare();
    expect(result.metric).toBe('accuracy');
    expect(result.test).toBe('mcnemar-exact');
    expect(result.comparison.verdict).toBe('better');
    expect(result.comparison.pairs).toBe(1500);
    expect(result.counts).toEqual({
      bothCorrect: 900,
      baselineOnlyCorrect: 0,
      candidateOnlyCorrect: 450,
      bothWrong: 150,
    });
    expect(result.baselineValue).toBeCloseTo(0.6, 12);
    expect(result.candidateValue).toBeCloseTo(0.9, 12);
    expect(result.comparison.pairsNeeded).toBeUndefined();
    const reverse = await compareSeries({ baseline: V2, candidate: V1, ...WINDOW }, deps);
    expect(reverse.comparison.verdict).toBe('worse');
  });

  it('says NO_EVIDENCE_YET with pairs_needed on a small difference, and counts unpaired rows', async () => {
    // 200 pairs, 5 rows only the baseline got right and 7 only the candidate: far from significant.
    const base = requests(
      200,
      (i) => !(i >= 100 && i < 107),
      (i) => !(i >= 107 && i < 112),
    );
    // 3 requests only the baseline predicted, 2 only the candidate.
    const extra: LabelledRequest[] = [
      { truth: 'setosa', baseline: 'setosa' },
      { truth: 'setosa', baseline: 'setosa' },
      { truth: 'setosa', baseline: 'versicolor' },
      { truth: 'setosa', candidate: 'setosa' },
      { truth: 'setosa', candidate: 'setosa' },
    ];
    await feedRequests(temp.store, [...base, ...extra]);
    const result = await compare();
    expect(result.counts).toEqual({
      bothCorrect: 188,
      baselineOnlyCorrect: 5,
      candidateOnlyCorrect: 7,
      bothWrong: 0,
    });
    expect(result.comparison.verdict).toBe('no evidence yet');
    expect(result.comparison.pairsNeeded).toBeGreaterThan(200);
    expect(result.comparison.additionalPairsNeeded).toBe(result.comparison.pairsNeeded! - 200);
    expect(result.baselineUnpaired).toBe(3);
    expect(result.candidateUnpaired).toBe(2);
  });

  it('filters by the baseline rows segment value', async () => {
    const all = requests(
      400,
      (i) => i % 10 < 6,
      (i) => i % 10 < 9,
    ).map((r, i) => ({ ...r, country: i < 100 ? 'fr' : 'de' }));
    await feedRequests(temp.store, all);
    const fr = await compare({ segment: { name: 'country', value: 'fr' } });
    expect(fr.comparison.pairs).toBe(100);
    expect(fr.baselineUnpaired + fr.candidateUnpaired).toBe(0);
    const none = await compare({ segment: { name: 'country', value: 'it' } });
    expect(none.comparison.pairs).toBe(0);
    expect(none.comparison.verdict).toBe('no evidence yet');
    expect(none.comparison.pairsNeeded).toBeUndefined();
  });

  it('bootstraps macro F1 with a seed (same seed, same result) and checks the limits', async () => {
    await feedRequests(
      temp.store,
      requests(
        300,
        (i) => i % 10 < 6,
        (i) => i % 10 < 9,
      ),
    );
    const first = await compare({ metric: 'macroF1', resamples: 200, seed: 7 });
    const again = await compare({ metric: 'macroF1', resamples: 200, seed: 7 });
    expect(first.test).toBe('bootstrap');
    expect(first.comparison.verdict).toBe('better');
    expect(first.validResamples).toBe(200);
    expect(first.candidateValue).toBeGreaterThan(first.baselineValue);
    expect(again.comparison).toEqual(first.comparison);
    deps = { ...deps, limits: { maxComparisonPairs: 1000, maxBootstrapPairs: 299 } };
    await expect(compare({ metric: 'macroF1' })).rejects.toThrow(/--max-bootstrap-pairs \(299\)/);
    deps = { ...deps, limits: { maxComparisonPairs: 299, maxBootstrapPairs: 1000 } };
    await expect(compare()).rejects.toThrow(ResourceExhaustedError);
    await expect(compare()).rejects.toThrow(/--max-comparison-pairs \(299\)/);
  });

  it('compares log loss on the rows both logged probabilities for, and McNemar chi-square forms', async () => {
    // feedRequests logs 0.7 on the predicted class: a right answer loses -ln 0.7, a wrong one -ln 0.2.
    await feedRequests(
      temp.store,
      requests(
        300,
        (i) => i % 10 < 6,
        (i) => i % 10 < 9,
      ),
    );
    const loss = await compare({ metric: 'logLoss', resamples: 200 });
    expect(loss.baselineValue).toBeCloseTo(-(0.6 * Math.log(0.7) + 0.4 * Math.log(0.2)), 12);
    expect(loss.candidateValue).toBeCloseTo(-(0.9 * Math.log(0.7) + 0.1 * Math.log(0.2)), 12);
    expect(loss.comparison.verdict).toBe('better');
    for (const test of ['mcnemar-chi2', 'mcnemar-chi2-corrected'] as const) {
      const result = await compare({ test });
      expect(result.comparison.test).toBe(test);
      expect(result.comparison.verdict).toBe('better');
    }
    await expect(compare({ alpha: 0 })).rejects.toThrow(/^alpha: must be in \(0, 1\)/);
    await expect(compare({ power: 1 })).rejects.toThrow(/^power: must be in \(0, 1\)/);
  });

  it('compares regression MAE by the bootstrap: a smaller error is BETTER', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      truth: 100 + (i % 17),
      baselineError: i % 2 === 0 ? 3 : -3,
      candidateError: i % 2 === 0 ? 1 : -1.5,
    }));
    await feedRegression(temp.store, rows);
    const series = (version: string) => ({ modelName: 'price', modelVersion: version, node: '' });
    const result = await compareSeries(
      { baseline: series('1'), candidate: series('2'), ...WINDOW, resamples: 200 },
      deps,
    );
    expect(result.metric).toBe('mae');
    expect(result.baselineValue).toBeCloseTo(3, 12);
    expect(result.candidateValue).toBeCloseTo(1.25, 12);
    expect(result.comparison.verdict).toBe('better');
    const r2 = await compareSeries(
      { baseline: series('1'), candidate: series('2'), ...WINDOW, metric: 'r2', resamples: 200 },
      deps,
    );
    expect(r2.comparison.verdict).toBe('better');
  });

  it('names the rule of a bad request', async () => {
    await feedRequests(
      temp.store,
      requests(
        10,
        () => true,
        () => true,
      ),
    );
    await expect(compare({ candidate: V1 })).rejects.toThrow(/rule "compare.distinct"/);
    await expect(compare({ candidate: { ...V2, modelVersion: '9' } })).rejects.toThrow(NotFoundError);
    await expect(compare({ metric: 'mae' })).rejects.toThrow(/rule "metric.task"/);
    await expect(compare({ metric: 'macroF1', test: 'mcnemar-exact' })).rejects.toThrow(/rule "test.metric"/);
    await expect(compare({ segment: { name: 'city', value: 'x' } })).rejects.toThrow(
      /rule "segment.name_configured"/,
    );
    await expect(compare({ resamples: 100_001 })).rejects.toThrow(InvalidArgumentError);
    await expect(compare({ fromMs: 5, toMs: 5 })).rejects.toThrow(/rule "range.order"/);
  });

  it('refuses to pair series of different tasks', async () => {
    await feedRequests(
      temp.store,
      requests(
        10,
        () => true,
        () => true,
      ),
    );
    await feedRegression(temp.store, [{ truth: 1, baselineError: 0, candidateError: 0 }]);
    // price v1 predicted request r0 as iris did: same request id, different task.
    await expect(
      compareSeries(
        { baseline: V1, candidate: { modelName: 'price', modelVersion: '1', node: '' }, ...WINDOW },
        deps,
      ),
    ).rejects.toThrow(FailedPreconditionError);
  });
});
