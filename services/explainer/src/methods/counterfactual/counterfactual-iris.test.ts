/**
 * Counterfactuals of the iris example model (multinomial logistic regression in ONNX), run
 * in-process by onnxruntime-node, the model-server's runtime, with the iris data as background.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@sightline/stats';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightedRows } from '../method.js';
import type { CounterfactualGoal, CounterfactualParams } from './counterfactual-types.js';
import { counterfactual } from './index.js';
import { countingEvaluator } from './testing-evaluator.js';

const root = (path: string) => fileURLToPath(new URL(`../../../../../${path}`, import.meta.url));
const FEATURES = 4;
const CLASSES = 3;
const NAMES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

const hasScipy = spawnSync('python3', ['-c', 'import scipy.optimize'], { encoding: 'utf8' }).status === 0;

/**
 * scipy's linprog for the exact nearest point under L1 over MAD within a box, subject to
 * linear constraints `a · x + b >= margin`: variables x and u >= |x - instance| / mad.
 */
const LP_SCRIPT = `
import json, sys
import numpy as np
from scipy.optimize import linprog
def solve(p):
  x0, mad, lo, hi = (np.array(p[k]) for k in ('instance', 'mad', 'low', 'high'))
  n = len(x0)
  c = np.concatenate([np.zeros(n), np.ones(n)])
  rows, rhs = [], []
  for f in range(n):
    e = np.zeros(2 * n); e[f] = 1 / mad[f]; e[n + f] = -1; rows.append(e); rhs.append(x0[f] / mad[f])
    e = np.zeros(2 * n); e[f] = -1 / mad[f]; e[n + f] = -1; rows.append(e); rhs.append(-x0[f] / mad[f])
  for a, b in p['constraints']:
    rows.append(np.concatenate([-np.array(a), np.zeros(n)])); rhs.append(b - p['margin'])
  bounds = [(lo[f], hi[f]) for f in range(n)] + [(0, None)] * n
  r = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method='highs')
  return r.fun if r.status == 0 else None
print(json.dumps([solve(p) for p in json.load(sys.stdin)]))
`;

let session: ort.InferenceSession;
let data: { rows: Float64Array; labels: number[] };

/** Scores rows with the model: float32 in, probabilities out (as the model-server would). */
async function score(rows: Float64Array, count: number): Promise<Float64Array> {
  const input = new ort.Tensor('float32', Float32Array.from(rows), [count, FEATURES]);
  const output = await session.run({ input });
  return Float64Array.from(output.probabilities!.data as Float32Array);
}

beforeAll(async () => {
  session = await ort.InferenceSession.create(root('examples/models/iris/1/model.onnx'));
  const lines = readFileSync(root('examples/data/iris.csv'), 'utf8').trim().split('\n').slice(1);
  const rows = new Float64Array(lines.length * FEATURES);
  const labels: number[] = [];
  lines.forEach((line, r) => {
    const cells = line.split(',').map(Number);
    rows.set(cells.slice(0, FEATURES), r * FEATURES);
    labels.push(cells[FEATURES]!);
  });
  data = { rows, labels };
});

afterAll(async () => {
  await session?.release();
});

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

describe('counterfactual on the iris ONNX model', () => {
  it('reaches the goal, stays in the background ranges, beats the nearest goal row and the best single-feature move, for 15 instances and three goals', async () => {
    const count = data.labels.length;
    const background: WeightedRows = {
      featureCount: FEATURES,
      rows: data.rows,
      weights: new Float64Array(count).fill(1),
      count,
    };
    const column = (f: number) => Array.from({ length: count }, (_, r) => data.rows[r * FEATURES + f]!);
    const mads = [0, 1, 2, 3].map((f) => {
      const c = column(f);
      const center = median(c);
      return median(c.map((v) => Math.abs(v - center))) || 1;
    });
    const distance = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      [0, 1, 2, 3].reduce((sum, f) => sum + Math.abs(a[f]! - b[f]!) / mads[f]!, 0);
    const allScores = await score(data.rows, count);
    const GRID = 2001;
    const bestSingleFeatureMove = async (
      instance: Float64Array,
      reaches: (scores: Float64Array, offset: number) => boolean,
    ): Promise<number> => {
      let best = Number.POSITIVE_INFINITY;
      for (let f = 0; f < FEATURES; f++) {
        const low = Math.min(...column(f));
        const high = Math.max(...column(f));
        const grid = new Float64Array(GRID * FEATURES);
        for (let k = 0; k < GRID; k++) {
          grid.set(instance, k * FEATURES);
          grid[k * FEATURES + f] = low + ((high - low) * k) / (GRID - 1);
        }
        const scores = await score(grid, GRID);
        for (let k = 0; k < GRID; k++) {
          if (reaches(scores, k * CLASSES)) {
            best = Math.min(best, distance(instance, grid.subarray(k * FEATURES, (k + 1) * FEATURES)));
          }
        }
      }
      return best;
    };
    const argmax = (scores: Float64Array, offset: number) => {
      let best = 0;
      for (let c = 1; c < CLASSES; c++) if (scores[offset + c]! > scores[offset + best]!) best = c;
      return best;
    };
    const space = { featureCount: FEATURES, featureNames: NAMES, categorical: new Map() };
    let checked = 0;
    for (let r = 5; r < count; r += 10) {
      const instance = data.rows.slice(r * FEATURES, (r + 1) * FEATURES);
      const original = argmax(allScores, r * CLASSES);
      const goals: [CounterfactualGoal, number][] = [
        [{ kind: 'other-class' }, 0.5],
        [{ kind: 'target-class', targetClass: (original + 1) % CLASSES }, 0.5],
        [{ kind: 'target-class', targetClass: (original + 2) % CLASSES }, 0.8],
      ];
      for (const [goal, targetProbability] of goals) {
        const reaches = (scores: Float64Array, offset: number) => {
          const c = argmax(scores, offset);
          const wanted = goal.kind === 'target-class' ? c === goal.targetClass : c !== original;
          return wanted && scores[offset + c]! >= targetProbability;
        };
        let bound = Number.POSITIVE_INFINITY;
        for (let b = 0; b < count; b++) {
          if (reaches(allScores, b * CLASSES)) {
            bound = Math.min(bound, distance(instance, data.rows.subarray(b * FEATURES, (b + 1) * FEATURES)));
          }
        }
        const params: CounterfactualParams = {
          goal,
          targetProbability,
          distance: 'l1-mad',
          featureRanges: new Map(),
          immutableFeatures: [],
          maxChangedFeatures: undefined,
          count: 2,
        };
        const evaluator = countingEvaluator(FEATURES, CLASSES, score);
        const outcome = await counterfactual.explainRow(instance, params, {
          evaluator,
          space,
          background,
          random: seededRandom(r),
          progress: () => {},
        });
        expect(outcome.complete).toBe(true);
        expect(outcome.result.originalPrediction).toBe(original);
        if (!Number.isFinite(bound)) continue;
        expect(outcome.result.found.length).toBeGreaterThan(0);
        const rescored = await score(
          Float64Array.from(outcome.result.found.flatMap((f) => [...f.values])),
          outcome.result.found.length,
        );
        outcome.result.found.forEach((found, i) => {
          expect(reaches(rescored, i * CLASSES)).toBe(true);
          expect(found.prediction).toBe(argmax(rescored, i * CLASSES));
          expect(found.distance).toBeCloseTo(distance(instance, found.values), 9);
          for (let f = 0; f < FEATURES; f++) {
            expect(found.values[f]).toBeGreaterThanOrEqual(Math.min(...column(f)));
            expect(found.values[f]).toBeLessThanOrEqual(Math.max(...column(f)));
          }
        });
        expect(outcome.result.found[0]!.distance).toBeLessThanOrEqual(bound);
        // And within 1% of the best single-feature move on a grid of 2,001 values per feature
        // (L1's nearest point across a smooth boundary is often such a move).
        expect(outcome.result.found[0]!.distance).toBeLessThanOrEqual(
          1.01 * (await bestSingleFeatureMove(instance, (scores, offset) => reaches(scores, offset))),
        );
        checked++;
      }
    }
    // Most (instance, goal) pairs have a goal row in the background; the bound was really tested.
    expect(checked).toBeGreaterThanOrEqual(40);
  });

  it('stops within a call budget with valid counterfactuals so far, marked incomplete', async () => {
    const count = data.labels.length;
    const background: WeightedRows = {
      featureCount: FEATURES,
      rows: data.rows,
      weights: new Float64Array(count).fill(1),
      count,
    };
    const instance = data.rows.slice(0, FEATURES);
    const params: CounterfactualParams = {
      goal: { kind: 'other-class' },
      targetProbability: 0.5,
      distance: 'l1-mad',
      featureRanges: new Map(),
      immutableFeatures: [],
      maxChangedFeatures: undefined,
      count: 3,
    };
    const run = async (maxCalls?: number) => {
      const evaluator = countingEvaluator(FEATURES, CLASSES, score, { maxCalls });
      const outcome = await counterfactual.explainRow(instance, params, {
        evaluator,
        space: { featureCount: FEATURES, featureNames: NAMES, categorical: new Map() },
        background,
        random: seededRandom(0),
        progress: () => {},
      });
      return { outcome, calls: evaluator.calls };
    };
    const full = await run();
    // The instance, the background and the single-feature moves: starts, unrefined.
    const partial = await run(3);
    expect(full.outcome.complete).toBe(true);
    expect(full.calls).toBeGreaterThan(3);
    expect(partial.outcome.complete).toBe(false);
    expect(partial.outcome.fractionDone).toBeLessThan(1);
    expect(partial.calls).toBeLessThanOrEqual(3);
    expect(partial.outcome.result.found.length).toBeGreaterThan(0);
    const rescored = await score(
      Float64Array.from(partial.outcome.result.found.flatMap((f) => [...f.values])),
      partial.outcome.result.found.length,
    );
    partial.outcome.result.found.forEach((found, i) => {
      const scores = Array.from(rescored.subarray(i * CLASSES, (i + 1) * CLASSES));
      const predicted = scores.indexOf(Math.max(...scores));
      expect(predicted).not.toBe(partial.outcome.result.originalPrediction);
      expect(found.prediction).toBe(predicted);
    });
    expect(partial.outcome.result.found[0]!.distance).toBeGreaterThanOrEqual(
      full.outcome.result.found[0]!.distance,
    );
  });

  it.skipIf(!hasScipy)(
    "matches scipy's exact L1 optimum (a linear program) for a target class",
    async () => {
      // The model is a softmax of linear scores, so "class t is the argmax" is the polytope
      // (w_t - w_c) · x + (b_t - b_c) >= 0 for every other c; with target_probability 1/3 (which
      // the argmax of 3 classes implies) the goal is exactly that polytope, and the nearest
      // point under L1 over MAD within the background's box is a linear program.
      const count = data.labels.length;
      const background: WeightedRows = {
        featureCount: FEATURES,
        rows: data.rows,
        weights: new Float64Array(count).fill(1),
        count,
      };
      // The log-odds of class t over c at 0 and at each unit vector give (w_t - w_c) and (b_t - b_c).
      const probes = new Float64Array((FEATURES + 1) * FEATURES);
      for (let f = 0; f < FEATURES; f++) probes[(f + 1) * FEATURES + f] = 1;
      const probeScores = await score(probes, FEATURES + 1);
      const logOdds = (scores: Float64Array, row: number, t: number, c: number) =>
        Math.log(scores[row * CLASSES + t]!) - Math.log(scores[row * CLASSES + c]!);
      const linear = (t: number, c: number): [number[], number] => {
        const b = logOdds(probeScores, 0, t, c);
        return [Array.from({ length: FEATURES }, (_, f) => logOdds(probeScores, f + 1, t, c) - b), b];
      };
      // The model is what the test assumes: the linear log-odds predict it elsewhere.
      const check = data.rows.slice(0, 20 * FEATURES);
      const checkScores = await score(check, 20);
      for (let r = 0; r < 20; r++) {
        const [a, b] = linear(1, 0);
        const predicted = a.reduce((sum, w, f) => sum + w * check[r * FEATURES + f]!, b);
        expect(Math.abs(predicted - logOdds(checkScores, r, 1, 0))).toBeLessThan(
          1e-3 * (1 + Math.abs(predicted)),
        );
      }
      const column = (f: number) => Array.from({ length: count }, (_, r) => data.rows[r * FEATURES + f]!);
      const mad = [0, 1, 2, 3].map((f) => {
        const c = column(f);
        const center = median(c);
        return median(c.map((v) => Math.abs(v - center))) || 1;
      });
      const problems: { r: number; instance: Float64Array; targetClass: number }[] = [];
      for (let r = 3; r < count; r += 15) {
        const instance = data.rows.slice(r * FEATURES, (r + 1) * FEATURES);
        const scores = await score(instance, 1);
        const original = Array.from(scores).indexOf(Math.max(...scores));
        for (const targetClass of [0, 1, 2].filter((c) => c !== original))
          problems.push({ r, instance, targetClass });
      }
      const lp = spawnSync('python3', ['-c', LP_SCRIPT], {
        input: JSON.stringify(
          problems.map(({ instance, targetClass }) => ({
            instance: Array.from(instance),
            mad,
            low: [0, 1, 2, 3].map((f) => Math.min(...column(f))),
            high: [0, 1, 2, 3].map((f) => Math.max(...column(f))),
            constraints: [0, 1, 2].filter((c) => c !== targetClass).map((c) => linear(targetClass, c)),
            margin: 1e-4,
          })),
        ),
        encoding: 'utf8',
      });
      const optima = JSON.parse(lp.stdout) as (number | null)[];
      let compared = 0;
      for (const [i, { r, instance, targetClass }] of problems.entries()) {
        const outcome = await counterfactual.explainRow(
          instance,
          {
            goal: { kind: 'target-class', targetClass },
            targetProbability: 1 / 3,
            distance: 'l1-mad',
            featureRanges: new Map(),
            immutableFeatures: [],
            maxChangedFeatures: undefined,
            count: 1,
          },
          {
            evaluator: countingEvaluator(FEATURES, CLASSES, score),
            space: { featureCount: FEATURES, featureNames: NAMES, categorical: new Map() },
            background,
            random: seededRandom(r),
            progress: () => {},
          },
        );
        const optimum = optima[i];
        if (optimum === null || optimum === undefined) {
          expect(outcome.result.found).toEqual([]);
          continue;
        }
        const found = outcome.result.found[0]!;
        // Not nearer than the optimum (less the LP's margin of 1e-4 in log-odds), within 1% of it.
        expect(found.distance).toBeGreaterThanOrEqual(optimum * 0.999);
        expect(found.distance).toBeLessThanOrEqual(optimum * 1.01);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(12);
    },
    120_000,
  );
});
