/**
 * Each policy's priority score (higher is labelled first) and the sentence that explains it.
 */
import type { PredictionRow } from '../domain/records.js';
import type { ItemReason, PredictedRowView } from './annotation-types.js';

function format(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/** The row as an item shows it. */
export function predictedRowView(row: PredictionRow, classes: readonly string[]): PredictedRowView {
  return {
    classes,
    ...(row.label === undefined ? {} : { label: row.label }),
    ...(row.probabilities === undefined ? {} : { probabilities: row.probabilities }),
    ...(row.values === undefined ? {} : { values: row.values }),
  };
}

/** UNIFORM: the row's reservoir key. */
export function uniformReason(key: number): ItemReason {
  return { policy: 'uniform', score: key, explanation: `uniform sample (reservoir key ${format(key)})` };
}

/** LEAST_CONFIDENT: 1 - the top-class probability; undefined for a row without probabilities. */
export function leastConfidentReason(row: PredictedRowView): ItemReason | undefined {
  const p = row.probabilities;
  if (!p || p.length === 0) return undefined;
  let top = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] ?? 0) > (p[top] ?? 0)) top = i;
  const probability = p[top] ?? 0;
  const name = row.classes[top] ?? String(top);
  return {
    policy: 'least_confident',
    score: 1 - probability,
    explanation: `top-class probability ${format(probability)} (${name})`,
  };
}

/** OUTLIERS_FIRST: the detector's instance score of the row. */
export function outlierReason(score: number, detector: string): ItemReason {
  return {
    policy: 'outliers_first',
    score,
    explanation: `outlier score ${format(score)} from detector "${detector}"`,
  };
}

/** Total variation distance of two probability vectors of the same classes; 0 when either is missing. */
function probabilityGap(a: PredictedRowView, b: PredictedRowView): number {
  const p = a.probabilities;
  const q = b.probabilities;
  if (!p || !q || p.length !== q.length || a.classes.join('\u0000') !== b.classes.join('\u0000')) return 0;
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += Math.abs((p[i] ?? 0) - (q[i] ?? 0));
  return sum / 2;
}

/**
 * SHADOW_DISAGREEMENT. Classification: rows with different labels score 1 + the probability
 * gap (total variation distance, in [0, 1]), so they all come before agreeing rows, which
 * score the gap alone. Regression: the largest |difference| of the values. Undefined when the
 * rows cannot be compared (different tasks or value counts).
 */
export function shadowReason(
  task: 'classification' | 'regression',
  model: PredictedRowView,
  shadow: PredictedRowView,
  shadowName: string,
): ItemReason | undefined {
  if (task === 'classification') {
    if (model.label === undefined || shadow.label === undefined) return undefined;
    const gap = probabilityGap(model, shadow);
    const differ = model.label !== shadow.label;
    return {
      policy: 'shadow_disagreement',
      score: (differ ? 1 : 0) + gap,
      explanation: differ
        ? `model says ${model.label}, shadow "${shadowName}" says ${shadow.label} (probability gap ${format(gap)})`
        : `model and shadow "${shadowName}" agree on ${model.label} (probability gap ${format(gap)})`,
    };
  }
  const a = model.values;
  const b = shadow.values;
  if (!a || !b || a.length !== b.length || a.length === 0) return undefined;
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return {
    policy: 'shadow_disagreement',
    score: largest,
    explanation: `model and shadow "${shadowName}" differ by ${format(largest)}`,
  };
}
