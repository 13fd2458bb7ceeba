/**
 * The intervals of windowed metrics that have no closed form of their own: each against a
 * reference computed by python (scipy, numpy) and in a seeded coverage simulation
 * (400 windows from a known distribution). A correct 95% method covers 380 of 400 on average,
 * sd 4.4; the bounds [0.91, 0.99] are more than 3.5 sd away, and the seeds are fixed, so these
 * tests fail for a wrong method, not by chance.
 */
import { describe, expect, it } from 'vitest';
import { ClassificationAccumulator } from '../src/metrics/classification-accumulator.js';
import { classificationMetrics } from '../src/metrics/classification-metrics.js';
import { scoresFromConfusion } from '../src/metrics/classification-scores.js';
import {
  confusionDeltaIntervals,
  confusionScoreStandardErrors,
} from '../src/metrics/confusion-delta-intervals.js';
import { normalCdf, normalQuantile } from '../src/metrics/distribution-quantiles.js';
import { RegressionAccumulator } from '../src/metrics/regression-accumulator.js';
import { binnedRocAucStandardError } from '../src/metrics/roc-auc-interval.js';
import { type SeededRandom, seededRandom } from '../src/random/seeded-random.js';
import { quantileRanks, sketchQuantileInterval } from '../src/sketch/quantile-interval.js';
import { QuantileSketch } from '../src/sketch/quantile-sketch.js';
import { runPython } from './run-numpy.js';

const WINDOWS = 400;
const COVERAGE_LOW = 0.91;
const COVERAGE_HIGH = 0.99;

function expectClose(ours: number, theirs: number, what: string, tolerance: number): void {
  expect(Math.abs(ours - theirs), `${what}: ours ${ours}, reference ${theirs}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(theirs)),
  );
}

function expectCoverage(covered: number, what: string): void {
  const share = covered / WINDOWS;
  expect(share, `${what}: coverage ${share}`).toBeGreaterThanOrEqual(COVERAGE_LOW);
  expect(share, `${what}: coverage ${share}`).toBeLessThanOrEqual(COVERAGE_HIGH);
}

/** n draws of a categorical with shares `p`, as counts. */
function multinomial(random: SeededRandom, n: number, p: readonly number[]): Float64Array {
  const counts = new Float64Array(p.length);
  for (let i = 0; i < n; i++) {
    let u = random.nextFloat();
    let cell = 0;
    while (cell < p.length - 1 && u >= p[cell]!) u -= p[cell++]!;
    counts[cell]! += 1;
  }
  return counts;
}

// The delta method's variance sum_ij n_ij g_ij² - (sum n g)² / N with g = d score / d n_ij taken by
// central differences of the scores (scikit-learn's definitions, zero_division=0, written in numpy
// here: scikit-learn is not installed on every machine that runs these tests).
const NUMERIC_DELTA = `
def scores(n, k):
    m = n.reshape(k, k); tp = np.diag(m); support = m.sum(axis=1); predicted = m.sum(axis=0)
    div = lambda a, b: np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)
    p = div(tp, predicted); r = div(tp, support); f = div(2 * p * r, p + r)
    w = support / support.sum()
    return np.concatenate([[p.mean(), r.mean(), f.mean(), (w * p).sum(), (w * r).sum(), (w * f).sum()], f])
out = []
for case in data:
    k = case['k']; n = np.array(case['confusion'], dtype=float)
    h = 1e-5
    grads = []
    for i in range(k * k):
        up = n.copy(); up[i] += h; down = n.copy(); down[i] -= h
        grads.append((scores(up, k) - scores(down, k)) / (2 * h))
    g = np.array(grads)
    total = n.sum()
    var = (n[:, None] * g * g).sum(axis=0) - ((n[:, None] * g).sum(axis=0)) ** 2 / total
    out.append(np.sqrt(np.maximum(var, 0)).tolist())
print(json.dumps(out))
`;

describe('delta-method intervals of confusion-matrix scores', () => {
  const random = seededRandom(12);
  const cases = [
    { k: 2, confusion: [40, 10, 5, 45] },
    { k: 3, confusion: Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? 50 : 1) + random.nextInt(20)) },
    { k: 4, confusion: Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 80 : 0) + random.nextInt(6)) },
  ];
  const expected = runPython<number[][]>(NUMERIC_DELTA, cases);

  it.each(cases.map((c, i) => [`${c.k} classes`, i] as const))(
    'standard errors equal the delta method with a numerical gradient (numpy): %s',
    (_, i) => {
      const c = cases[i]!;
      const ours = confusionScoreStandardErrors(c.confusion, c.k);
      const reference = expected[i]!;
      const flat = [
        ours.macro.precision,
        ours.macro.recall,
        ours.macro.f1,
        ours.weighted.precision,
        ours.weighted.recall,
        ours.weighted.f1,
        ...ours.f1,
      ];
      flat.forEach((se, j) => {
        expectClose(se, reference[j]!, `standard error ${j}`, 1e-6);
      });
    },
  );

  it('covers the population scores at the nominal level (3 classes, 300 pairs a window)', () => {
    // Joint shares of (true, predicted): an imperfect classifier with unequal classes.
    const shares = [0.3, 0.05, 0.05, 0.04, 0.2, 0.06, 0.02, 0.08, 0.2];
    const truth = scoresFromConfusion([0, 1, 2], Float64Array.from(shares));
    const sim = seededRandom(2024);
    const covered = { macroP: 0, macroR: 0, macroF1: 0, weightedF1: 0, f1: [0, 0, 0] };
    const inside = (ci: { low: number; high: number }, v: number) => (ci.low <= v && v <= ci.high ? 1 : 0);
    for (let w = 0; w < WINDOWS; w++) {
      const confusion = multinomial(sim, 300, shares);
      const scores = scoresFromConfusion([0, 1, 2], confusion);
      const intervals = confusionDeltaIntervals(confusion, 3, scores);
      covered.macroP += inside(intervals.macro.precision, truth.macro.precision);
      covered.macroR += inside(intervals.macro.recall, truth.macro.recall);
      covered.macroF1 += inside(intervals.macro.f1, truth.macro.f1);
      covered.weightedF1 += inside(intervals.weighted.f1, truth.weighted.f1);
      for (let c = 0; c < 3; c++) covered.f1[c]! += inside(intervals.f1[c]!, truth.f1[c]!);
    }
    expectCoverage(covered.macroP, 'macro precision');
    expectCoverage(covered.macroR, 'macro recall');
    expectCoverage(covered.macroF1, 'macro F1');
    expectCoverage(covered.weightedF1, 'weighted F1');
    covered.f1.forEach((n, c) => {
      expectCoverage(n, `F1 of class ${c}`);
    });
  });
});

// DeLong's variance with midranks, pair by pair (the definition, no binning).
const DELONG = `
out = []
for case in data:
    x = np.array(case['positives']); y = np.array(case['negatives'])
    psi = (x[:, None] > y[None, :]).astype(float) + 0.5 * (x[:, None] == y[None, :])
    auc = psi.mean(); v10 = psi.mean(axis=1); v01 = psi.mean(axis=0)
    var = v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y)
    out.append([float(auc), float(np.sqrt(var))])
print(json.dumps(out))
`;

describe("DeLong's interval of the binned ROC AUC", () => {
  const BINS = 64;
  const random = seededRandom(5);
  // Scores at bin centres, so the histogram holds them exactly (ties only among equal scores).
  const centre = (b: number) => (b + 0.5) / BINS;
  const draw = (n: number, shift: number) =>
    Array.from({ length: n }, () =>
      Math.min(Math.max(Math.floor((random.nextNormal() + shift) * 10 + 20), 0), BINS - 1),
    );
  const cases = [
    { positives: draw(30, 1), negatives: draw(50, 0) },
    { positives: draw(200, 0.3), negatives: draw(120, 0) },
    { positives: draw(5, 2), negatives: draw(7, 0) },
  ];
  const expected = runPython<number[][]>(
    DELONG,
    cases.map((c) => ({ positives: c.positives.map(centre), negatives: c.negatives.map(centre) })),
  );

  it.each(
    cases.map((c, i) => [`${c.positives.length} positives, ${c.negatives.length} negatives`, i] as const),
  )('equals DeLong on the same scores: %s', (_, i) => {
    const c = cases[i]!;
    const positives = new Float64Array(BINS);
    const negatives = new Float64Array(BINS);
    for (const b of c.positives) positives[b]! += 1;
    for (const b of c.negatives) negatives[b]! += 1;
    expectClose(binnedRocAucStandardError(positives, negatives), expected[i]![1]!, 'DeLong SE', 1e-12);
  });

  it('through the accumulator, covers the binormal AUC at the nominal level', () => {
    // Binary classifier: score of class 1 ~ N(0.6, 0.15) for positives, N(0.45, 0.15) for negatives, clipped.
    const trueAuc = normalCdf(0.15 / (0.15 * Math.SQRT2));
    const sim = seededRandom(77);
    let covered = 0;
    let coveredMacro = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const acc = ClassificationAccumulator.create(['no', 'yes'], { aucBins: 4096 });
      for (let i = 0; i < 150; i++) {
        const positive = sim.nextFloat() < 0.4;
        const score = Math.min(Math.max((positive ? 0.6 : 0.45) + 0.15 * sim.nextNormal(), 0), 1);
        acc.add(positive ? 'yes' : 'no', score >= 0.5 ? 'yes' : 'no', [1 - score, score]);
      }
      const intervals = acc.metrics().rocAucIntervals!;
      if (intervals.binary!.low <= trueAuc && trueAuc <= intervals.binary!.high) covered += 1;
      // Both classes' one-vs-rest AUCs are the same figure here, so the bound is tight.
      if (intervals.macro.low <= trueAuc && trueAuc <= intervals.macro.high) coveredMacro += 1;
    }
    expectCoverage(covered, 'binary AUC');
    expectCoverage(coveredMacro, 'macro AUC');
  });
});

describe("DeLong's interval of the exact ROC AUC (a batch, ComputeMetrics)", () => {
  const random = seededRandom(21);
  // Scores rounded to 2 decimals, so there are ties between and within classes.
  const draw = (n: number, shift: number) =>
    Array.from(
      { length: n },
      () => Math.round(Math.min(Math.max(0.5 + 0.2 * (random.nextNormal() + shift), 0), 1) * 100) / 100,
    );
  const cases = [
    { positives: draw(40, 1), negatives: draw(60, 0) },
    { positives: draw(300, 0.2), negatives: draw(250, 0) },
    { positives: draw(3, 0.5), negatives: draw(4, 0) },
  ];
  const expected = runPython<number[][]>(DELONG, cases);

  it.each(
    cases.map((c, i) => [`${c.positives.length} positives, ${c.negatives.length} negatives`, i] as const),
  )('equals DeLong pair by pair on the raw scores: %s', (_, i) => {
    const c = cases[i]!;
    const yTrue = [...c.positives.map(() => 'yes'), ...c.negatives.map(() => 'no')];
    const scores = [...c.positives, ...c.negatives];
    const metrics = classificationMetrics(
      {
        yTrue,
        yPred: scores.map((s) => (s >= 0.5 ? 'yes' : 'no')),
        probabilities: scores.flatMap((s) => [1 - s, s]),
      },
      { classes: ['no', 'yes'], confidence: 0.9 },
    );
    const [auc, se] = expected[i]!;
    expectClose(metrics.rocAuc!.binary!, auc!, 'AUC', 1e-12);
    const interval = metrics.rocAucIntervals!.binary!;
    const z = normalQuantile(0.95);
    expect(interval.method).toBe('delong');
    expect(interval.confidence).toBe(0.9);
    expectClose(interval.low, Math.max(auc! - z * se!, 0), 'low end', 1e-12);
    expectClose(interval.high, Math.min(auc! + z * se!, 1), 'high end', 1e-12);
  });

  it('covers the binormal AUC at the nominal level', () => {
    const trueAuc = normalCdf(0.15 / (0.15 * Math.SQRT2));
    const sim = seededRandom(78);
    let covered = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const yTrue: string[] = [];
      const probabilities: number[] = [];
      for (let i = 0; i < 150; i++) {
        const positive = sim.nextFloat() < 0.4;
        // Unclipped normal scores mapped into (0, 1) by a monotone map keep the AUC.
        const raw = (positive ? 0.6 : 0.45) + 0.15 * sim.nextNormal();
        const score = 1 / (1 + Math.exp(-raw));
        yTrue.push(positive ? 'yes' : 'no');
        probabilities.push(1 - score, score);
      }
      const interval = classificationMetrics(
        { yTrue, yPred: yTrue, probabilities },
        { classes: ['no', 'yes'] },
      ).rocAucIntervals!.binary!;
      if (interval.low <= trueAuc && trueAuc <= interval.high) covered += 1;
    }
    expectCoverage(covered, 'exact binary AUC');
  });
});

describe('order-statistic interval of a quantile', () => {
  const cases = [
    { n: 10, q: 0.5, confidence: 0.95 },
    { n: 200, q: 0.9, confidence: 0.95 },
    { n: 1000, q: 0.99, confidence: 0.9 },
    { n: 50, q: 0.99, confidence: 0.95 },
    { n: 123_457, q: 0.95, confidence: 0.99 },
  ];
  const expected = runPython<number[][]>(
    `
from scipy.stats import binom
print(json.dumps([[int(binom.ppf((1 - c['confidence']) / 2, c['n'], c['q'])), int(binom.ppf((1 + c['confidence']) / 2, c['n'], c['q'])) + 1] for c in data]))
`,
    cases,
  );

  it.each(cases.map((c, i) => [`n ${c.n}, q ${c.q}`, i] as const))(
    "ranks are scipy's binom.ppf at alpha/2 and 1 - alpha/2 (+1): %s",
    (_, i) => {
      const c = cases[i]!;
      expect(quantileRanks(c.n, c.q, c.confidence)).toEqual({ low: expected[i]![0], high: expected[i]![1] });
    },
  );

  it('read from a sketch, covers the exponential distribution quantiles at the nominal level or more', () => {
    const sim = seededRandom(99);
    const covered: Record<string, number> = { 0.5: 0, 0.9: 0, 0.99: 0 };
    for (let w = 0; w < WINDOWS; w++) {
      const sketch = new QuantileSketch();
      for (let i = 0; i < 500; i++) sketch.add(-Math.log(1 - sim.nextFloat()) * 40);
      for (const q of [0.5, 0.9, 0.99]) {
        const truth = -Math.log(1 - q) * 40;
        const ci = sketchQuantileInterval(sketch, q);
        if (ci.low <= truth && truth <= ci.high) covered[q]! += 1;
      }
    }
    for (const q of ['0.5', '0.9', '0.99']) expectCoverage(covered[q]!, `p${Number(q) * 100}`);
  });

  it('has no bound on a side without an order statistic (p99 of 20 values)', () => {
    const sketch = new QuantileSketch();
    for (let i = 1; i <= 20; i++) sketch.add(i);
    const ci = sketchQuantileInterval(sketch, 0.99);
    expect(ci.high).toBe(Infinity);
    expect(ci.low).toBeGreaterThanOrEqual(sketch.min);
  });
});

const T_INTERVAL = `
from scipy import stats
out = []
for terms in data:
    x = np.array(terms)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    out.append([float(lo), float(hi)])
print(json.dumps(out))
`;

describe('t intervals of log loss and MAPE', () => {
  const random = seededRandom(8);
  const pairs = Array.from({ length: 60 }, () => {
    const p = 0.05 + 0.9 * random.nextFloat();
    return {
      yes: random.nextFloat() < p,
      p,
      yTrue: 1 + 10 * random.nextFloat(),
      yPred: 5 + random.nextNormal(),
    };
  });
  const logLossTerms = pairs.map((x) => -Math.log(x.yes ? x.p : 1 - x.p));
  const apeTerms = pairs.map((x) => Math.abs(x.yPred - x.yTrue) / Math.abs(x.yTrue));
  const [logLossRef, apeRef] = runPython<number[][]>(T_INTERVAL, [logLossTerms, apeTerms]);

  it("equal scipy's t.interval of the per-pair terms, merged or not", () => {
    const halves = [
      ClassificationAccumulator.create(['no', 'yes']),
      ClassificationAccumulator.create(['no', 'yes']),
    ];
    const regression = [new RegressionAccumulator(), new RegressionAccumulator()];
    pairs.forEach((x, i) => {
      halves[i % 2]!.add(x.yes ? 'yes' : 'no', x.p >= 0.5 ? 'yes' : 'no', [1 - x.p, x.p]);
      regression[i % 2]!.add(x.yTrue, x.yPred);
    });
    halves[0]!.mergeJSON(halves[1]!.toJSON());
    regression[0]!.merge(RegressionAccumulator.fromJSON(regression[1]!.toJSON()));
    const logLoss = halves[0]!.metrics().logLossInterval!;
    expectClose(logLoss.low, logLossRef![0]!, 'log loss low', 1e-9);
    expectClose(logLoss.high, logLossRef![1]!, 'log loss high', 1e-9);
    const mape = regression[0]!.metrics().intervals.mape!;
    expectClose(mape.low, apeRef![0]!, 'MAPE low', 1e-9);
    expectClose(mape.high, apeRef![1]!, 'MAPE high', 1e-9);
  });

  it('are left out when part of the window was saved without the per-pair moments', () => {
    const acc = ClassificationAccumulator.create(['no', 'yes']);
    acc.add('yes', 'yes', [0.2, 0.8]);
    acc.add('no', 'yes', [0.4, 0.6]);
    const { logLossMoments: _dropped, ...old } = acc.toJSON();
    const merged = ClassificationAccumulator.fromJSON(old);
    merged.mergeJSON(acc.toJSON());
    expect(merged.metrics().logLoss).toBeCloseTo(acc.metrics().logLoss!, 12);
    expect(merged.metrics().logLossInterval).toBeUndefined();
    const regression = new RegressionAccumulator();
    regression.add(1, 2);
    regression.add(2, 2.5);
    const { absolutePercentageErrorMoments: _gone, ...oldRegression } = regression.toJSON();
    const restored = RegressionAccumulator.fromJSON(oldRegression);
    restored.merge(regression);
    expect(restored.metrics().mape).toBeCloseTo(regression.metrics().mape, 12);
    expect(restored.metrics().intervals.mape).toBeUndefined();
  });
});

// R²'s delta variance straight from the arrays (centred sums, no merging).
const R2_DELTA = `
out = []
for case in data:
    y = np.array(case['y']); p = np.array(case['p'])
    a = (p - y) ** 2; b = (y - y.mean()) ** 2; n = len(y)
    r2 = 1 - a.sum() / b.sum()
    va = a.var(); vb = b.var(); cab = ((a - a.mean()) * (b - b.mean())).mean()
    am = a.mean(); bm = b.mean()
    var = (va / bm**2 + am**2 * vb / bm**4 - 2 * am * cab / bm**3) / n
    out.append([float(r2), float(np.sqrt(var))])
print(json.dumps(out))
`;

describe("R²'s delta-method interval", () => {
  const random = seededRandom(21);
  const cases = [40, 300].map((n) => {
    const y = Array.from({ length: n }, () => 1000 + 3 * random.nextNormal());
    return { y, p: y.map((v) => v + 1.5 * random.nextNormal() + 0.2) };
  });
  const expected = runPython<number[][]>(R2_DELTA, cases);

  it.each(cases.map((c, i) => [`${c.y.length} pairs`, i] as const))(
    'has the standard error of the delta formula on the raw arrays (numpy), however the window is split: %s',
    (_, i) => {
      const c = cases[i]!;
      const parts = [new RegressionAccumulator(), new RegressionAccumulator(), new RegressionAccumulator()];
      c.y.forEach((y, j) => {
        parts[(j * 7) % 3]!.add(y, c.p[j]!);
      });
      parts[0]!.merge(RegressionAccumulator.fromJSON(parts[1]!.toJSON()));
      parts[0]!.merge(parts[2]!);
      const metrics = parts[0]!.metrics();
      const interval = metrics.intervals.r2!;
      expectClose(metrics.r2, expected[i]![0]!, 'R²', 1e-9);
      const z = 1.959963984540054;
      expectClose((interval.high - interval.low) / (2 * z), expected[i]![1]!, 'R² SE', 1e-7);
    },
  );

  it('covers the population R² at the nominal level (200 pairs, R² = 0.8)', () => {
    // y = x + noise, prediction x: R² = 1 - 0.25 / 1.25 in the population.
    const truth = 1 - 0.25 / 1.25;
    const sim = seededRandom(303);
    let covered = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const acc = new RegressionAccumulator();
      for (let i = 0; i < 200; i++) {
        const x = sim.nextNormal();
        acc.add(x + 0.5 * sim.nextNormal(), x);
      }
      const ci = acc.metrics().intervals.r2!;
      if (ci.low <= truth && truth <= ci.high) covered += 1;
    }
    expectCoverage(covered, 'R²');
  });
});

describe('ECE interval (Bonferroni-joint bin gaps, conservative)', () => {
  it.each([
    ['a calibrated model (ECE 0)', 0],
    ['an overconfident model (ECE 0.1)', 0.1],
  ] as const)('covers the population ECE of %s at least at the nominal level', (_, shift) => {
    // Top-label confidence c ~ U(0.5, 1), right with probability c - shift: each bin's gap is -shift.
    const sim = seededRandom(5);
    let covered = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const acc = ClassificationAccumulator.create(['a', 'b'], { aucBins: 0 });
      for (let i = 0; i < 300; i++) {
        const c = 0.5 + 0.5 * sim.nextFloat();
        const right = sim.nextFloat() < c - shift;
        acc.add(right ? 'a' : 'b', 'a', [c, 1 - c]);
      }
      const ci = acc.metrics().expectedCalibrationErrorInterval!;
      if (ci.low <= shift && shift <= ci.high) covered += 1;
    }
    // A conservative method: at least 0.95 less 3.5 sd, with no upper bound.
    expect(covered / WINDOWS).toBeGreaterThanOrEqual(COVERAGE_LOW);
  });
});
