import { InvalidArgumentError } from '@sightline/errors';
import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import type { WeightedRows } from '../method.js';
import {
  FIDELITY_FEATURES,
  FIDELITY_MODELS,
  fidelityData,
  fidelityModel,
  LINEAR_WEIGHTS,
} from '../testing/fidelity-models.js';
import { functionEvaluator } from '../testing/function-evaluator.js';
import { coalitionsPerBatch } from './coalition-values.js';
import { exactInterventionalShapley } from './exact-shapley.js';
import { kernelShap } from './kernel-shap.js';
import { shapDefaults, testContext } from './test-context.js';

const M = FIDELITY_FEATURES;
/** Issue 13: all coalitions enumerated equals the exact values to 1e-6. */
const ENUMERATED_TOLERANCE = 1e-6;
/** Issue 13: 2,048 sampled coalitions on ≤ 10 features within 1e-2. */
const SAMPLED_TOLERANCE = 1e-2;
/**
 * A sampled estimate's error against its own standard error: 6 (a normal's 6σ happens once in
 * 5e8); over 30 sampling seeds × 6 instances the largest seen while developing was 3.6.
 */
const STD_ERROR_MULTIPLE = 6;

function weightedMean(background: WeightedRows, j: number): number {
  let sum = 0;
  let weights = 0;
  for (let b = 0; b < background.count; b++) {
    sum += background.weights[b]! * background.rows[b * background.featureCount + j]!;
    weights += background.weights[b]!;
  }
  return sum / weights;
}

describe('Kernel SHAP fidelity (plain functions)', () => {
  for (const name of FIDELITY_MODELS) {
    it(`${name}: every coalition enumerated equals exact interventional Shapley values to 1e-6`, async () => {
      for (const dataSeed of [1, 2]) {
        const { instance, background } = fidelityData(dataSeed, 40);
        const evaluator = functionEvaluator(fidelityModel(name), { featureCount: M, outputCount: 1 });
        const [exact] = await exactInterventionalShapley(evaluator, instance, background);
        const outcome = await kernelShap.explainRow(
          instance,
          shapDefaults(M, { nSamples: 2 ** M - 2, l1Reg: { kind: 'none' } }),
          testContext(evaluator, background, 7),
        );
        const [out] = outcome.result.outputs;
        expect(outcome.complete).toBe(true);
        expect(outcome.fractionDone).toBe(1);
        expect(out!.exact).toBe(true);
        expect(out!.coalitions).toBe(2 ** M - 2);
        expect(out!.stdErrors).toBeUndefined();
        expect(out!.prediction).toBeCloseTo(exact!.prediction, 12);
        expect(out!.expectedValue).toBeCloseTo(exact!.expectedValue, 12);
        expect(Math.abs(out!.additivityError)).toBeLessThan(1e-9);
        for (let j = 0; j < M; j++) {
          expect(Math.abs(out!.values[j]! - exact!.values[j]!)).toBeLessThanOrEqual(ENUMERATED_TOLERANCE);
        }
      }
    });

    it(`${name}: 2,048 sampled coalitions are within 1e-2 of the exact values and of their standard errors`, async () => {
      for (const dataSeed of [1, 4]) {
        const { instance, background } = fidelityData(dataSeed, 40);
        const evaluator = functionEvaluator(fidelityModel(name), { featureCount: M, outputCount: 1 });
        const [exact] = await exactInterventionalShapley(evaluator, instance, background);
        for (const seed of [1, 2, 3]) {
          const outcome = await kernelShap.explainRow(
            instance,
            shapDefaults(M, { nSamples: 2048, enumerateSizes: false }),
            testContext(evaluator, background, seed),
          );
          const [out] = outcome.result.outputs;
          expect(out!.exact).toBe(false);
          expect(out!.coalitions).toBeGreaterThan(0);
          expect(out!.coalitions).toBeLessThanOrEqual(2048);
          expect(Math.abs(out!.additivityError)).toBeLessThan(1e-9);
          for (let j = 0; j < M; j++) {
            const error = Math.abs(out!.values[j]! - exact!.values[j]!);
            expect(error).toBeLessThanOrEqual(SAMPLED_TOLERANCE);
            expect(error).toBeLessThanOrEqual(STD_ERROR_MULTIPLE * out!.stdErrors![j]! + 1e-9);
          }
        }
      }
    });
  }

  it('gives a linear model w_i (x_i − E[x_i]) over a weighted background, sampled or not', async () => {
    const { instance, background } = fidelityData(3, 30);
    const random = seededRandom(99);
    const weighted = {
      ...background,
      weights: Float64Array.from({ length: 30 }, () => 0.1 + random.nextFloat()),
    };
    const evaluator = functionEvaluator(fidelityModel('shap-linear'), { featureCount: M, outputCount: 1 });
    for (const params of [
      shapDefaults(M),
      shapDefaults(M, { enumerateSizes: false, pairedSampling: false }),
    ]) {
      const outcome = await kernelShap.explainRow(instance, params, testContext(evaluator, weighted, 5));
      const [out] = outcome.result.outputs;
      for (let j = 0; j < M; j++) {
        const expected = LINEAR_WEIGHTS[j]! * (instance[j]! - weightedMean(weighted, j));
        expect(out!.values[j]).toBeCloseTo(expected, 9);
      }
    }
  });
});

describe('Kernel SHAP coalitions and budget', () => {
  const { instance, background } = fidelityData(1, 50);
  const model = fidelityModel('shap-interaction');

  it('with the default samples on 10 features enumerates every coalition (2·M + 2048 ≥ 2^M − 2), as shap', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1 });
    const outcome = await kernelShap.explainRow(
      instance,
      shapDefaults(M),
      testContext(evaluator, background, 1),
    );
    expect(outcome.result.outputs[0]!.exact).toBe(true);
    expect(outcome.result.outputs[0]!.coalitions).toBe(1022);
  });

  it('with n_samples 1 evaluates one coalition (no complement) and still meets the sum', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1 });
    const outcome = await kernelShap.explainRow(
      instance,
      shapDefaults(M, { nSamples: 1 }),
      testContext(evaluator, background, 1),
    );
    const [out] = outcome.result.outputs;
    expect(outcome.complete).toBe(true);
    expect(out!.coalitions).toBe(1);
    expect(out!.exact).toBe(false);
    expect(Math.abs(out!.additivityError)).toBeLessThan(1e-9);
    expect(evaluator.rows).toBe(1 + 50 + 50);
  });

  it('scores whole batches of coalitions × background rows, one evaluator call each, the instance and background in the first', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1, rowsPerCall: 500 });
    const outcome = await kernelShap.explainRow(
      instance,
      shapDefaults(M, { nSamples: 2048, enumerateSizes: false }),
      testContext(evaluator, background, 1),
    );
    const coalitions = outcome.result.outputs[0]!.coalitions;
    const perBatch = coalitionsPerBatch(50, M);
    expect(evaluator.batches).toBe(Math.ceil(coalitions / perBatch));
    expect(evaluator.rows).toBe(1 + 50 + coalitions * 50);
    // Each batch is split into calls of at most 500 rows by the evaluator, never one per sample.
    expect(evaluator.calls).toBeLessThanOrEqual(Math.ceil(evaluator.rows / 500) + evaluator.batches);
  });

  it('answers the coalitions scored so far when the call budget runs out (complete: false), the sum still enforced', async () => {
    const progress: number[] = [];
    // The first batch (instance, background and 327 coalitions × 50 rows) takes 17 calls of
    // 1,000 rows; the next would pass 20.
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1, maxCalls: 20 });
    const outcome = await kernelShap.explainRow(
      instance,
      shapDefaults(M, { nSamples: 2048, enumerateSizes: false }),
      testContext(evaluator, background, 1, (f) => progress.push(f)),
    );
    const [out] = outcome.result.outputs;
    expect(outcome.complete).toBe(false);
    expect(outcome.fractionDone).toBeGreaterThan(0);
    expect(outcome.fractionDone).toBeLessThan(1);
    expect(out!.exact).toBe(false);
    expect(out!.coalitions).toBeGreaterThan(0);
    expect(out!.coalitions).toBeLessThanOrEqual(327);
    expect(Math.abs(out!.additivityError)).toBeLessThan(1e-9);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBeCloseTo(outcome.fractionDone, 12);
    const [exact] = await exactInterventionalShapley(
      functionEvaluator(model, { featureCount: M, outputCount: 1 }),
      instance,
      background,
    );
    for (let j = 0; j < M; j++) {
      expect(Math.abs(out!.values[j]! - exact!.values[j]!)).toBeLessThanOrEqual(
        STD_ERROR_MULTIPLE * out!.stdErrors![j]! + 1e-9,
      );
    }
  });

  it('stops between batches when the time budget says so', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1 });
    const outcome = await kernelShap.explainRow(
      instance,
      shapDefaults(M, { nSamples: 2048, enumerateSizes: false }),
      testContext(evaluator, background, 1, (f) => {
        if (f > 0.3) evaluator.exhaust('time');
      }),
    );
    expect(outcome.complete).toBe(false);
    expect(outcome.fractionDone).toBeGreaterThan(0.3);
    expect(outcome.fractionDone).toBeLessThan(1);
    expect(outcome.result.outputs[0]!.coalitions).toBeGreaterThan(0);
  });

  it('answers no attributions and no progress when even the instance could not be scored', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1, maxCalls: 1 });
    const outcome = await kernelShap.explainRow(
      instance,
      shapDefaults(M),
      testContext(evaluator, background, 1),
    );
    expect(outcome).toEqual({ result: { instance, outputs: [] }, complete: false, fractionDone: 0 });
  });

  it('passes model failures through unchanged', async () => {
    const failure = new Error('model-server went away');
    const evaluator = functionEvaluator(
      () => {
        throw failure;
      },
      { featureCount: M, outputCount: 1 },
    );
    await expect(
      kernelShap.explainRow(instance, shapDefaults(M), testContext(evaluator, background, 1)),
    ).rejects.toBe(failure);
  });

  it('refuses a missing background naming the rule', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1 });
    const context = { ...testContext(evaluator, background, 1), background: undefined };
    await expect(kernelShap.explainRow(instance, shapDefaults(M), context)).rejects.toThrow(
      /background\.set/,
    );
  });
});

describe('Kernel SHAP features equal to the background', () => {
  it('gives 0 to features the background never changes and the exact values to the rest', async () => {
    const { instance, background } = fidelityData(2, 20);
    const rows = Float64Array.from(background.rows);
    for (let b = 0; b < 20; b++) for (const j of [3, 5, 8]) rows[b * M + j] = instance[j]!;
    const fixed = { ...background, rows };
    const evaluator = functionEvaluator(fidelityModel('shap-interaction'), {
      featureCount: M,
      outputCount: 1,
    });
    const [exact] = await exactInterventionalShapley(evaluator, instance, fixed);
    const outcome = await kernelShap.explainRow(instance, shapDefaults(M), testContext(evaluator, fixed, 1));
    const [out] = outcome.result.outputs;
    expect(out!.exact).toBe(true);
    expect(out!.coalitions).toBe(2 ** 7 - 2);
    for (const j of [3, 5, 8]) expect(out!.values[j]).toBe(0);
    for (let j = 0; j < M; j++) expect(out!.values[j]).toBeCloseTo(exact!.values[j]!, 9);
  });

  it('with one varying feature gives it the whole difference, and with none gives zeros', async () => {
    const { instance, background } = fidelityData(2, 5);
    const one = new Float64Array(5 * M);
    for (let b = 0; b < 5; b++) {
      one.set(instance, b * M);
      one[b * M + 4] = background.rows[b * M + 4]!;
    }
    const evaluator = functionEvaluator(fidelityModel('shap-threshold'), { featureCount: M, outputCount: 1 });
    const single = await kernelShap.explainRow(
      instance,
      shapDefaults(M),
      testContext(evaluator, { ...background, rows: one }, 1),
    );
    const [out] = single.result.outputs;
    expect(single.complete).toBe(true);
    expect(out!.exact).toBe(true);
    expect(out!.values[4]).toBeCloseTo(out!.prediction - out!.expectedValue, 12);
    expect(Array.from(out!.values).filter((v) => v !== 0).length).toBeLessThanOrEqual(1);

    const same = new Float64Array(5 * M);
    for (let b = 0; b < 5; b++) same.set(instance, b * M);
    const none = await kernelShap.explainRow(
      instance,
      shapDefaults(M),
      testContext(evaluator, { ...background, rows: same }, 1),
    );
    expect(Array.from(none.result.outputs[0]!.values)).toEqual(new Array(M).fill(0));
    expect(none.result.outputs[0]!.additivityError).toBeCloseTo(0, 12);
  });
});

describe('Kernel SHAP outputs and links', () => {
  /** Two outputs: a logistic probability and its complement. */
  const logistic = (rows: Float64Array, count: number) => {
    const out = new Float64Array(count * 2);
    for (let r = 0; r < count; r++) {
      let z = -0.2;
      for (let j = 0; j < 4; j++) z += (j % 2 === 0 ? 0.7 : -0.4) * rows[r * 4 + j]!;
      const p = 1 / (1 + Math.exp(-z));
      out[r * 2] = p;
      out[r * 2 + 1] = 1 - p;
    }
    return out;
  };
  const random = seededRandom(11);
  const instance = Float64Array.from({ length: 4 }, () => random.nextNormal());
  const background: WeightedRows = {
    featureCount: 4,
    rows: Float64Array.from({ length: 40 }, () => random.nextNormal()),
    weights: new Float64Array(10).fill(1),
    count: 10,
  };

  it('explains every output, or those asked, each against its exact values in log-odds with LOGIT', async () => {
    const evaluator = functionEvaluator(logistic, { featureCount: 4, outputCount: 2 });
    const exact = await exactInterventionalShapley(evaluator, instance, background, 'logit');
    const all = await kernelShap.explainRow(
      instance,
      shapDefaults(4, { link: 'logit' }),
      testContext(evaluator, background, 1),
    );
    expect(all.result.outputs.map((o) => o.outputIndex)).toEqual([0, 1]);
    for (const out of all.result.outputs) {
      const reference = exact[out.outputIndex]!;
      expect(out.prediction).toBeCloseTo(reference.prediction, 12);
      for (let j = 0; j < 4; j++) expect(out.values[j]).toBeCloseTo(reference.values[j]!, 9);
    }
    // log-odds of p and 1 − p are opposite.
    for (let j = 0; j < 4; j++)
      expect(all.result.outputs[1]!.values[j]).toBeCloseTo(-all.result.outputs[0]!.values[j]!, 9);
    const second = await kernelShap.explainRow(
      instance,
      shapDefaults(4, { outputIndices: [1] }),
      testContext(evaluator, background, 1),
    );
    expect(second.result.outputs.map((o) => o.outputIndex)).toEqual([1]);
  });

  it('refuses an output index past the columns and LOGIT on outputs outside (0, 1)', async () => {
    const evaluator = functionEvaluator(logistic, { featureCount: 4, outputCount: 2 });
    await expect(
      kernelShap.explainRow(
        instance,
        shapDefaults(4, { outputIndices: [2] }),
        testContext(evaluator, background, 1),
      ),
    ).rejects.toThrow(InvalidArgumentError);
    const linear = functionEvaluator(fidelityModel('shap-linear'), { featureCount: M, outputCount: 1 });
    const data = fidelityData(1, 10);
    await expect(
      kernelShap.explainRow(
        data.instance,
        shapDefaults(M, { link: 'logit' }),
        testContext(linear, data.background, 1),
      ),
    ).rejects.toThrow(/kernel_shap\.link: LOGIT needs model outputs strictly between 0 and 1/);
  });
});

describe('Kernel SHAP with sizes enumerated and the rest sampled (12 features)', () => {
  const W = 12;
  const model = (rows: Float64Array, count: number) =>
    Float64Array.from({ length: count }, (_, r) => {
      const x = rows.subarray(r * W, (r + 1) * W);
      let y = 0;
      for (let j = 0; j < W; j++) y += ((j % 3) - 1 + 0.3) * x[j]!;
      return y + 0.1 * x[0]! * x[5]! - 0.08 * x[3]! * x[9]! + (x[10]! + x[11]! > 0 ? 0.2 : 0);
    });

  it('with shap defaults (2·M + 2048) comes within 1e-2 and 6 standard errors of the exact values', async () => {
    const random = seededRandom(31);
    const instance = Float64Array.from({ length: W }, () => random.nextNormal());
    const background: WeightedRows = {
      featureCount: W,
      rows: Float64Array.from({ length: 30 * W }, () => random.nextNormal()),
      weights: new Float64Array(30).fill(1),
      count: 30,
    };
    const evaluator = functionEvaluator(model, { featureCount: W, outputCount: 1 });
    const [exact] = await exactInterventionalShapley(evaluator, instance, background);
    for (const seed of [1, 2]) {
      const outcome = await kernelShap.explainRow(
        instance,
        shapDefaults(W, { l1Reg: { kind: 'none' } }),
        testContext(evaluator, background, seed),
      );
      const [out] = outcome.result.outputs;
      expect(out!.exact).toBe(false);
      expect(out!.coalitions).toBeLessThanOrEqual(2 * W + 2048);
      for (let j = 0; j < W; j++) {
        const error = Math.abs(out!.values[j]! - exact!.values[j]!);
        expect(error).toBeLessThanOrEqual(SAMPLED_TOLERANCE);
        expect(error).toBeLessThanOrEqual(STD_ERROR_MULTIPLE * out!.stdErrors![j]! + 1e-9);
      }
    }
  });
});
