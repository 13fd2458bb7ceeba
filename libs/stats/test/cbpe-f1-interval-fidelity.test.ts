/**
 * CBPE's estimated macro F1 and its standard error (the delta method on the per-class true
 * positive and true counts): against a parametric bootstrap (the realised F1 of many draws of
 * every row's true class from its own probabilities, the model CBPE assumes), and in a seeded
 * coverage simulation (400 windows; a correct 95% interval covers 380 on average, sd 4.4, and
 * [0.91, 0.99] is 3.5 sd away, so the test fails for a wrong method, not by chance).
 */
import { describe, expect, it } from 'vitest';
import { addCbpePrediction, cbpeSums, estimateCbpe, mergeCbpeSums } from '../src/metrics/cbpe.js';
import { ClassificationAccumulator } from '../src/metrics/classification-accumulator.js';
import { normalQuantile } from '../src/metrics/distribution-quantiles.js';
import { type SeededRandom, seededRandom } from '../src/random/seeded-random.js';

interface Row {
  readonly p: Float64Array;
  readonly predicted: number;
}

/** Rows whose probabilities are a softmax of normal logits (spread `spread`); predicted = argmax. */
function rows(random: SeededRandom, n: number, k: number, spread: number): Row[] {
  return Array.from({ length: n }, () => {
    const logits = Array.from({ length: k }, () => spread * random.nextNormal());
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const total = e.reduce((a, b) => a + b, 0);
    const p = Float64Array.from(e, (v) => v / total);
    return { p, predicted: logits.indexOf(max) };
  });
}

function drawClass(random: SeededRandom, p: Float64Array): number {
  const u = random.nextFloat();
  let acc = 0;
  for (let c = 0; c < p.length - 1; c++) {
    acc += p[c]!;
    if (u < acc) return c;
  }
  return p.length - 1;
}

/** Macro F1 of a realised labelling: mean over classes of 2 TP / (predicted + true), 0 when both are 0. */
function realisedMacroF1(data: readonly Row[], truth: readonly number[], k: number): number {
  const tp = new Float64Array(k);
  const predicted = new Float64Array(k);
  const actual = new Float64Array(k);
  data.forEach((r, i) => {
    predicted[r.predicted]! += 1;
    actual[truth[i]!]! += 1;
    if (truth[i] === r.predicted) tp[r.predicted]! += 1;
  });
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const d = predicted[c]! + actual[c]!;
    sum += d === 0 ? 0 : (2 * tp[c]!) / d;
  }
  return sum / k;
}

function sumsOf(data: readonly Row[], k: number) {
  const sums = cbpeSums(k);
  for (const r of data) addCbpePrediction(sums, r.predicted, r.p);
  return sums;
}

describe("CBPE's estimated macro F1 interval", () => {
  it.each([
    [3, 300, 1.5],
    [5, 1000, 1],
    [2, 120, 2],
  ])('the standard error matches a parametric bootstrap: %i classes, %i rows', (k, n, spread) => {
    const random = seededRandom(1000 + k * 7 + n);
    const data = rows(random, n, k, spread);
    const estimate = estimateCbpe(sumsOf(data, k));
    const draws = 4000;
    let mean = 0;
    let m2 = 0;
    for (let b = 1; b <= draws; b++) {
      const f1 = realisedMacroF1(
        data,
        data.map((r) => drawClass(random, r.p)),
        k,
      );
      const delta = f1 - mean;
      mean += delta / b;
      m2 += delta * (f1 - mean);
    }
    const sd = Math.sqrt(m2 / (draws - 1));
    // The bootstrap's sd is known to about 1.1% (4,000 draws); the delta method's error at these
    // sizes is a few percent.
    expect(Math.abs(estimate.f1MacroStandardError / sd - 1)).toBeLessThan(0.08);
    expect(Math.abs(estimate.f1Macro - mean)).toBeLessThan(3 * sd);
  });

  it('covers the realised macro F1 of calibrated windows at the nominal level', () => {
    const random = seededRandom(4242);
    const z = normalQuantile(0.975);
    let covered = 0;
    for (let w = 0; w < 400; w++) {
      const data = rows(random, 200, 3, 1.5);
      const estimate = estimateCbpe(sumsOf(data, 3));
      const realised = realisedMacroF1(
        data,
        data.map((r) => drawClass(random, r.p)),
        3,
      );
      if (Math.abs(realised - estimate.f1Macro) <= z * estimate.f1MacroStandardError) covered += 1;
    }
    expect(covered / 400).toBeGreaterThanOrEqual(0.91);
    expect(covered / 400).toBeLessThanOrEqual(0.99);
  });

  it('merges, saves and restores the second moments; sums saved without them give no standard error', () => {
    const random = seededRandom(9);
    const data = rows(random, 50, 3, 1);
    const whole = sumsOf(data, 3);
    const left = sumsOf(data.slice(0, 20), 3);
    mergeCbpeSums(left, sumsOf(data.slice(20), 3));
    expect(estimateCbpe(left).f1MacroStandardError).toBeCloseTo(estimateCbpe(whole).f1MacroStandardError, 12);
    const acc = ClassificationAccumulator.create(['a', 'b', 'c'], { aucBins: 0 });
    data.forEach((r, i) => {
      acc.add(['a', 'b', 'c'][i % 3]!, ['a', 'b', 'c'][r.predicted]!, Array.from(r.p));
    });
    const json = acc.toJSON();
    const restored = ClassificationAccumulator.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(restored.metrics().cbpe!.f1MacroStandardError).toBe(acc.metrics().cbpe!.f1MacroStandardError);
    expect(Number.isFinite(acc.metrics().cbpe!.f1MacroStandardError)).toBe(true);
    const { secondMoments: _dropped, ...oldCbpe } = json.cbpe;
    const old = ClassificationAccumulator.fromJSON({ ...json, cbpe: oldCbpe });
    expect(old.metrics().cbpe!.f1MacroStandardError).toBeNaN();
    old.merge(acc);
    expect(old.metrics().cbpe!.f1MacroStandardError).toBeNaN();
    expect(() =>
      acc.mergeJSON({
        ...json,
        cbpe: { ...json.cbpe, secondMoments: { count: 1, cross: [1], predictedCross: [] } },
      }),
    ).toThrow('cbpe.secondMoments.cross: expected 9 finite numbers');
  });

  it('keeps no second moments above the class bound', () => {
    expect(cbpeSums(17).secondMoments).toBeUndefined();
    expect(estimateCbpe(cbpeSums(17)).f1MacroStandardError).toBeNaN();
  });
});
