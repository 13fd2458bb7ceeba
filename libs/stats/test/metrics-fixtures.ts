import type { ClassLabel } from '../src/metrics/class-labels.js';
import { seededRandom } from '../src/random/seeded-random.js';

/** A classification fixture shared by the fidelity and property tests. */
export interface ClassificationCase {
  readonly name: string;
  readonly classes: ClassLabel[];
  readonly yTrue: ClassLabel[];
  readonly yPred: ClassLabel[];
  /** Row-major rows x classes. */
  readonly probabilities: number[];
}

/** How a fixture's predictions relate to its probabilities. */
type PredictionRule = 'argmax' | 'constant' | 'perfect' | 'random';

/**
 * Seeded rows: true classes drawn with `prevalence`, probabilities a softmax of normal logits
 * with `signal` added to the true class's, predictions by `rule`.
 */
export function classificationCase(
  name: string,
  classes: ClassLabel[],
  rows: number,
  seed: number,
  options: { prevalence?: number[]; signal?: number; rule?: PredictionRule } = {},
): ClassificationCase {
  const random = seededRandom(seed);
  const k = classes.length;
  const prevalence = options.prevalence ?? classes.map(() => 1 / k);
  const signal = options.signal ?? 1.5;
  const rule = options.rule ?? 'argmax';
  const yTrue: ClassLabel[] = [];
  const yPred: ClassLabel[] = [];
  const probabilities: number[] = [];
  for (let i = 0; i < rows; i++) {
    let u = random.nextFloat();
    let t = 0;
    while (t < k - 1 && u >= prevalence[t]!) {
      u -= prevalence[t]!;
      t += 1;
    }
    yTrue.push(classes[t]!);
    const logits = classes.map((_, c) => random.nextNormal() + (c === t ? signal : 0));
    const max = Math.max(...logits);
    const exp = logits.map((l) => Math.exp(l - max));
    const total = exp.reduce((a, b) => a + b, 0);
    const row = rule === 'perfect' ? classes.map((_, c) => (c === t ? 1 : 0)) : exp.map((e) => e / total);
    probabilities.push(...row);
    let predicted = row.indexOf(Math.max(...row));
    if (rule === 'constant') predicted = 0;
    if (rule === 'random') predicted = random.nextInt(k);
    yPred.push(classes[predicted]!);
  }
  return { name, classes, yTrue, yPred, probabilities };
}

/** The shared classification fixtures: several class counts, label types, imbalance, perfect and degenerate predictions. */
export function classificationCases(): ClassificationCase[] {
  return [
    classificationCase('binary integers', [0, 1], 400, 1),
    classificationCase('binary strings, imbalanced 95/5', ['neg', 'pos'], 600, 2, {
      prevalence: [0.95, 0.05],
    }),
    classificationCase('three string classes', ['cat', 'dog', 'eel'], 500, 3),
    classificationCase('three classes imbalanced 80/15/5, weak signal', [0, 1, 2], 700, 4, {
      prevalence: [0.8, 0.15, 0.05],
      signal: 0.5,
    }),
    classificationCase('five non-contiguous integers', [-1, 3, 10, 42, 99], 800, 5),
    classificationCase('ten classes', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 1000, 6, { signal: 2 }),
    classificationCase('perfect predictions with one-hot probabilities', ['a', 'b', 'c'], 200, 7, {
      rule: 'perfect',
    }),
    classificationCase('constant prediction (classes never predicted)', [0, 1, 2, 3], 300, 8, {
      rule: 'constant',
    }),
    classificationCase('predictions independent of the probabilities', ['x', 'y'], 300, 9, {
      rule: 'random',
    }),
    classificationCase('tiny: five rows, binary', [0, 1], 5, 10, { signal: 0 }),
  ];
}

/** A regression fixture. */
export interface RegressionCase {
  readonly name: string;
  readonly yTrue: number[];
  readonly yPred: number[];
}

/** The shared regression fixtures: noise, scale, zeros in y_true (MAPE's epsilon), perfect and constant targets. */
export function regressionCases(): RegressionCase[] {
  const random = seededRandom(21);
  const noisy = (n: number, scale: number, offset: number) => {
    const yTrue = Array.from({ length: n }, () => offset + scale * random.nextNormal());
    return { yTrue, yPred: yTrue.map((y) => y + 0.3 * scale * random.nextNormal()) };
  };
  const withZeros = noisy(300, 2, 0);
  withZeros.yTrue[0] = 0;
  withZeros.yTrue[7] = 0;
  const perfect = noisy(50, 1, 5).yTrue;
  return [
    { name: 'standard normal with noise', ...noisy(500, 1, 0) },
    { name: 'large values (1e6 offset, scale 1e3)', ...noisy(400, 1000, 1e6) },
    { name: 'zeros in y_true', ...withZeros },
    { name: 'perfect predictions', yTrue: perfect, yPred: [...perfect] },
    {
      name: 'constant y_true, wrong predictions',
      yTrue: Array(20).fill(2.5),
      yPred: noisy(20, 1, 2.5).yPred,
    },
    { name: 'constant y_true, perfect predictions', yTrue: Array(20).fill(-3), yPred: Array(20).fill(-3) },
    { name: 'two rows', yTrue: [1, 4], yPred: [2, 2] },
  ];
}
