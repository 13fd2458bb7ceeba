import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { addCbpePrediction, cbpeSums, estimateCbpe, mergeCbpeSums } from './cbpe.js';
import { ClassificationAccumulator } from './classification-accumulator.js';
import { classificationMetrics } from './classification-metrics.js';

/** The bar: CBPE's accuracy within 0.02 of the realised accuracy on a calibrated model. */
const CBPE_ACCURACY_TOLERANCE = 0.02;

/**
 * A calibrated model by construction: per row a probability vector (softmax of normal logits,
 * one class boosted), the true class drawn from that vector, the prediction its argmax.
 * `sharpen` > 1 reports overconfident probabilities (p^sharpen renormalised) for the same rows.
 */
function calibratedRows(k: number, rows: number, seed: number, sharpen = 1) {
  const random = seededRandom(seed);
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const reported: number[] = [];
  for (let i = 0; i < rows; i++) {
    const boosted = random.nextInt(k);
    const logits = Array.from({ length: k }, (_, c) => random.nextNormal() + (c === boosted ? 1.5 : 0));
    const exp = logits.map((l) => Math.exp(l));
    const total = exp.reduce((a, b) => a + b, 0);
    const p = exp.map((e) => e / total);
    let u = random.nextFloat();
    let t = 0;
    while (t < k - 1 && u >= p[t]!) {
      u -= p[t]!;
      t += 1;
    }
    yTrue.push(t);
    yPred.push(p.indexOf(Math.max(...p)));
    const shown = p.map((v) => v ** sharpen);
    const shownTotal = shown.reduce((a, b) => a + b, 0);
    reported.push(...shown.map((v) => v / shownTotal));
  }
  return { yTrue, yPred, probabilities: reported };
}

function estimate(k: number, data: ReturnType<typeof calibratedRows>) {
  const sums = cbpeSums(k);
  data.yPred.forEach((p, i) => {
    addCbpePrediction(sums, p, data.probabilities, i * k);
  });
  return estimateCbpe(sums);
}

describe('CBPE', () => {
  it.each([
    [2, 11],
    [3, 12],
    [5, 13],
  ])(
    'on a calibrated %i-class model estimates realised accuracy within 0.02 and macro F1 within 0.03 (seed %i, 5,000 rows)',
    (k, seed) => {
      const data = calibratedRows(k, 5000, seed);
      const estimated = estimate(k, data);
      const realised = classificationMetrics(data, { classes: Array.from({ length: k }, (_, c) => c) });
      expect(Math.abs(estimated.accuracy - realised.accuracy)).toBeLessThanOrEqual(CBPE_ACCURACY_TOLERANCE);
      // Its own standard error says how close it should be: sd about 0.006 here.
      expect(Math.abs(estimated.accuracy - realised.accuracy)).toBeLessThanOrEqual(
        4 * estimated.accuracyStandardError,
      );
      expect(Math.abs(estimated.f1Macro - realised.macro.f1)).toBeLessThanOrEqual(0.03);
    },
  );

  it('stays within 0.02 over 20 seeds (3 classes, 5,000 rows each; largest gap measured 0.0124, 2 standard errors)', () => {
    let largest = 0;
    for (let seed = 100; seed < 120; seed++) {
      const data = calibratedRows(3, 5000, seed);
      const gap = Math.abs(
        estimate(3, data).accuracy - classificationMetrics(data, { classes: [0, 1, 2] }).accuracy,
      );
      largest = Math.max(largest, gap);
    }
    expect(largest).toBeLessThanOrEqual(CBPE_ACCURACY_TOLERANCE);
  });

  it('overestimates an overconfident (uncalibrated) model: the reason probabilities must be calibrated first', () => {
    const data = calibratedRows(3, 5000, 21, 3);
    const realised = classificationMetrics(data, { classes: [0, 1, 2] }).accuracy;
    expect(estimate(3, data).accuracy - realised).toBeGreaterThan(0.1);
  });

  it('merges window sums exactly as one pass, and is NaN on an empty window', () => {
    const data = calibratedRows(3, 100, 5);
    const whole = cbpeSums(3);
    const a = cbpeSums(3);
    const b = cbpeSums(3);
    data.yPred.forEach((p, i) => {
      addCbpePrediction(whole, p, data.probabilities, i * 3);
      addCbpePrediction(i < 40 ? a : b, p, data.probabilities, i * 3);
    });
    mergeCbpeSums(a, b);
    expect(estimateCbpe(a).accuracy).toBeCloseTo(estimateCbpe(whole).accuracy, 12);
    expect(estimateCbpe(cbpeSums(3)).accuracy).toBeNaN();
    expect(() => mergeCbpeSums(a, cbpeSums(2))).toThrow(/cannot merge sums of 2 classes into 3/);
  });
});

describe("CBPE's F1 interval class bound", () => {
  it('keeps the second moments up to 16 classes by default, and up to a raised bound (20 classes here)', () => {
    const k = 20;
    const data = calibratedRows(k, 400, 31);
    const bounded = cbpeSums(k);
    const raised = cbpeSums(k, 20);
    data.yPred.forEach((p, i) => {
      addCbpePrediction(bounded, p, data.probabilities, i * k);
      addCbpePrediction(raised, p, data.probabilities, i * k);
    });
    expect(bounded.secondMoments).toBeUndefined();
    expect(estimateCbpe(bounded).f1MacroStandardError).toBeNaN();
    const se = estimateCbpe(raised).f1MacroStandardError;
    expect(se).toBeGreaterThan(0);
    expect(se).toBeLessThan(0.1);
    expect(() => cbpeSums(3, 65)).toThrow(
      /^cbpeF1IntervalMaxClasses: expected an integer in \[0, 64\], got 65$/,
    );
    expect(cbpeSums(2, 0).secondMoments).toBeUndefined();
  });

  it('an accumulator built with a raised bound keeps it through JSON, whatever the bound it is restored under', () => {
    const k = 20;
    const classes = Array.from({ length: k }, (_, c) => c);
    const data = calibratedRows(k, 300, 32);
    const acc = ClassificationAccumulator.create(classes, { cbpeF1IntervalMaxClasses: 20 });
    data.yPred.forEach((p, i) => {
      acc.add(data.yTrue[i]!, p, data.probabilities.slice(i * k, (i + 1) * k));
    });
    const se = acc.metrics().cbpe!.f1MacroStandardError;
    expect(se).toBeGreaterThan(0);
    const restored = ClassificationAccumulator.fromJSON(JSON.parse(JSON.stringify(acc.toJSON())));
    expect(restored.metrics().cbpe!.f1MacroStandardError).toBeCloseTo(se, 12);
    // Merged into a window kept under the default bound: no moments there, so no interval.
    const window = ClassificationAccumulator.create(classes);
    window.merge(restored);
    expect(window.metrics().cbpe!.f1MacroStandardError).toBeNaN();
    expect(() => ClassificationAccumulator.create(classes, { cbpeF1IntervalMaxClasses: 1.5 })).toThrow(
      /^cbpeF1IntervalMaxClasses: expected an integer in \[0, 64\], got 1.5$/,
    );
  });
});
