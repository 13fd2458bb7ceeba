/**
 * The metrics suite's kernel part (issue 12): libs/stats' batch metrics on 1,000,000 pairs next
 * to scikit-learn on the same pairs in one python3 process of the same run. Classification:
 * 3 classes with probabilities, `classificationMetrics` (accuracy, per-class and averaged
 * P/R/F1, confusion matrix, exact one-vs-rest ROC AUC, log loss; it also computes ECE and CBPE,
 * which scikit-learn has no counterpart for and which stay in our time) against
 * `accuracy_score`, `precision_recall_fscore_support(average='macro')`, `confusion_matrix`,
 * `roc_auc_score(multi_class='ovr')` and `log_loss`. Regression: `regressionMetrics` (MSE, RMSE,
 * MAE, MAPE, R² and their intervals) against `mean_squared_error`, `mean_absolute_error` and
 * `r2_score`. scikit-learn's time is measured inside Python with perf_counter, so start-up and
 * data loading are not counted; ours includes nothing but the call. The numbers must agree to
 * 1e-9 (relative), else the check is reported as differing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classificationMetrics, regressionMetrics } from '@sightline/stats';
import { median } from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';
import { sklearnPython } from './sklearn-python.js';

export const METRICS_KERNELS_BENCH = {
  pairs: 1_000_000,
  classes: 3,
  repetitions: 5,
  warmupRepetitions: 1,
  /** Largest relative difference between our figures and scikit-learn's. */
  tolerance: 1e-9,
  /** Ours over scikit-learn's median time: at most this. */
  targetRatioMax: 1.0,
  pythonTimeoutMs: 600_000,
  seed: 20261204,
} as const;

export interface MetricsKernelsBenchOptions {
  readonly pairs?: number;
  readonly repetitions?: number;
}

/** One task's timings and the figures both sides computed. */
export interface KernelSide {
  readonly oursMedianMs: number;
  readonly sklearnMedianMs: number;
  /** ours / scikit-learn. */
  readonly ratio: number;
  readonly oursRunsMs: readonly number[];
  readonly sklearnRunsMs: readonly number[];
  /** Name → [ours, scikit-learn]. */
  readonly figures: Readonly<Record<string, readonly [number, number]>>;
  /** Largest relative difference over the figures (confusion counts included). */
  readonly maxRelativeDiff: number;
}

export interface MetricsKernelsBenchResult {
  readonly pairs: number;
  readonly classes: number;
  readonly classification: KernelSide;
  readonly regression: KernelSide;
  readonly sklearnVersion: string;
  readonly python: string;
}

/** Seeded uniform source (mulberry32). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pairs where the model is right about 70% of the time and its probabilities lean that way. */
function syntheticPairs(n: number, k: number, seed: number) {
  const u = uniform(seed);
  const yTrue = new Array<number>(n);
  const yPred = new Array<number>(n);
  const probabilities = new Float64Array(n * k);
  const regressionTrue = new Float64Array(n);
  const regressionPred = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const truth = Math.floor(u() * k);
    let total = 0;
    for (let c = 0; c < k; c++) {
      const w = u() + (c === truth ? 0.8 : 0);
      probabilities[i * k + c] = w;
      total += w;
    }
    let best = 0;
    for (let c = 0; c < k; c++) {
      probabilities[i * k + c]! /= total;
      if (probabilities[i * k + c]! > probabilities[i * k + best]!) best = c;
    }
    yTrue[i] = truth;
    yPred[i] = best;
    regressionTrue[i] = 10 + 5 * (u() - 0.5);
    regressionPred[i] = regressionTrue[i]! + (u() - 0.5);
  }
  return { yTrue, yPred, probabilities, regressionTrue, regressionPred };
}

const PYTHON = `
import json, sys, time
import numpy as np
import sklearn
from sklearn import metrics as M
path, n, k, reps, warm = sys.argv[1], *map(int, sys.argv[2:6])
raw = np.fromfile(path, dtype='<f8')
y_true = raw[:n].astype(np.int64); y_pred = raw[n:2*n].astype(np.int64)
prob = raw[2*n:2*n + n*k].reshape(n, k)
r_true = raw[2*n + n*k:3*n + n*k]; r_pred = raw[3*n + n*k:]
labels = list(range(k))
def classification():
    acc = M.accuracy_score(y_true, y_pred)
    p, r, f, _ = M.precision_recall_fscore_support(y_true, y_pred, labels=labels, average='macro', zero_division=0)
    cm = M.confusion_matrix(y_true, y_pred, labels=labels)
    auc = M.roc_auc_score(y_true, prob, multi_class='ovr', labels=labels)
    ll = M.log_loss(y_true, prob, labels=labels)
    return dict(accuracy=acc, precision_macro=p, recall_macro=r, f1_macro=f, roc_auc_ovr_macro=auc, log_loss=ll), cm
def regression():
    return dict(mse=M.mean_squared_error(r_true, r_pred), mae=M.mean_absolute_error(r_true, r_pred), r2=M.r2_score(r_true, r_pred))
def timed(fn):
    runs = []
    for i in range(warm + reps):
        t = time.perf_counter(); out = fn(); dt = (time.perf_counter() - t) * 1000
        if i >= warm: runs.append(dt)
    return runs, out
c_runs, (c_out, cm) = timed(classification)
r_runs, r_out = timed(regression)
print(json.dumps(dict(classification=dict(runs=c_runs, figures={a: float(b) for a, b in c_out.items()}, confusion=cm.ravel().tolist()),
  regression=dict(runs=r_runs, figures={a: float(b) for a, b in r_out.items()}), version=sklearn.__version__)))
`;

interface PythonSide {
  readonly runs: number[];
  readonly figures: Record<string, number>;
  readonly confusion?: number[];
}

function relativeDiff(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

function timed<T>(runs: number, warmup: number, fn: () => T): { runsMs: number[]; last: T } {
  const runsMs: number[] = [];
  let last = fn();
  for (let i = 1; i < warmup + runs; i++) {
    const t = performance.now();
    last = fn();
    const dt = performance.now() - t;
    if (i >= warmup) runsMs.push(dt);
  }
  return { runsMs, last };
}

function side(oursRunsMs: number[], ours: Record<string, number>, py: PythonSide, extraDiff = 0): KernelSide {
  const figures: Record<string, readonly [number, number]> = {};
  let maxRelativeDiff = extraDiff;
  for (const [name, value] of Object.entries(ours)) {
    const theirs = py.figures[name] ?? Number.NaN;
    figures[name] = [value, theirs];
    maxRelativeDiff = Math.max(
      maxRelativeDiff,
      Number.isNaN(theirs) ? Infinity : relativeDiff(value, theirs),
    );
  }
  const oursMedianMs = median(oursRunsMs);
  const sklearnMedianMs = median(py.runs);
  return {
    oursMedianMs,
    sklearnMedianMs,
    ratio: oursMedianMs / sklearnMedianMs,
    oursRunsMs,
    sklearnRunsMs: py.runs,
    figures,
    maxRelativeDiff,
  };
}

/** Ours first, then python3 (never at the same time). */
export function runMetricsKernelsBench(options: MetricsKernelsBenchOptions = {}): MetricsKernelsBenchResult {
  const c = METRICS_KERNELS_BENCH;
  const n = options.pairs ?? c.pairs;
  const k = c.classes;
  const repetitions = options.repetitions ?? c.repetitions;
  const data = syntheticPairs(n, k, c.seed);
  const classes = Array.from({ length: k }, (_, i) => i);
  // The first call is the warm-up (its time is not kept), as on the Python side.
  const cls = timed(repetitions, c.warmupRepetitions, () =>
    classificationMetrics(
      { yTrue: data.yTrue, yPred: data.yPred, probabilities: data.probabilities },
      { classes },
    ),
  );
  const reg = timed(repetitions, c.warmupRepetitions, () =>
    regressionMetrics(data.regressionTrue, data.regressionPred),
  );

  const python = sklearnPython();
  const dir = mkdtempSync(join(tmpdir(), 'sightline-metrics-kernels-'));
  try {
    const path = join(dir, 'pairs.f64');
    const bytes = new Float64Array(4 * n + n * k);
    bytes.set(data.yTrue, 0);
    bytes.set(data.yPred, n);
    bytes.set(data.probabilities, 2 * n);
    bytes.set(data.regressionTrue, 2 * n + n * k);
    bytes.set(data.regressionPred, 3 * n + n * k);
    writeFileSync(path, new Uint8Array(bytes.buffer));
    const out = execFileSync(
      python,
      ['-c', PYTHON, path, String(n), String(k), String(repetitions), String(c.warmupRepetitions)],
      { encoding: 'utf8', timeout: c.pythonTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
    );
    const py = JSON.parse(out) as { classification: PythonSide; regression: PythonSide; version: string };
    const m = cls.last;
    const confusionDiff = (py.classification.confusion ?? []).reduce(
      (worst, count, i) => Math.max(worst, relativeDiff(m.confusion[i]!, count)),
      py.classification.confusion?.length === m.confusion.length ? 0 : Infinity,
    );
    const r = reg.last;
    return {
      pairs: n,
      classes: k,
      classification: side(
        cls.runsMs,
        {
          accuracy: m.accuracy,
          precision_macro: m.macro.precision,
          recall_macro: m.macro.recall,
          f1_macro: m.macro.f1,
          roc_auc_ovr_macro: m.rocAuc?.macro ?? Number.NaN,
          log_loss: m.logLoss ?? Number.NaN,
        },
        py.classification,
        confusionDiff,
      ),
      regression: side(reg.runsMs, { mse: r.mse, mae: r.mae, r2: r.r2 }, py.regression),
      sklearnVersion: py.version,
      python,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report lines. */
export function formatMetricsKernels(r: MetricsKernelsBenchResult): string {
  const runs = (values: readonly number[]) => values.map((t) => t.toFixed(1)).join(', ');
  const lines = (name: string, s: KernelSide) => [
    `  ${name}: ours median ${s.oursMedianMs.toFixed(1)} ms (${runs(s.oursRunsMs)}), scikit-learn median ${s.sklearnMedianMs.toFixed(1)} ms (${runs(s.sklearnRunsMs)}), ratio ours/scikit-learn ${s.ratio.toFixed(3)}x`,
    `    ${Object.entries(s.figures)
      .map(
        ([k, [ours, theirs]]) =>
          `${k} ${ours.toPrecision(10)}${ours === theirs ? '' : ` / ${theirs.toPrecision(10)}`}`,
      )
      .join(', ')}; max relative difference ${s.maxRelativeDiff.toExponential(1)}`,
  ];
  return [
    `metric kernels, ${r.pairs} pairs (${r.classes} classes with probabilities; regression), scikit-learn ${r.sklearnVersion} (${r.python}):`,
    ...lines('classification', r.classification),
    ...lines('regression', r.regression),
  ].join('\n');
}

/** Each task's time against scikit-learn's; SKIPPED (value n/a) when the numbers differ. */
export function metricsKernelsChecks(r: MetricsKernelsBenchResult): RatioCheck[] {
  const tolerance = METRICS_KERNELS_BENCH.tolerance;
  const one = (name: string, s: KernelSide) =>
    check(
      `metric kernels ${name} / scikit-learn, time${s.maxRelativeDiff <= tolerance ? '' : ` (NUMBERS DIFFER by ${s.maxRelativeDiff.toExponential(1)})`}`,
      s.maxRelativeDiff <= tolerance ? s.ratio : undefined,
      'x',
      '<=',
      METRICS_KERNELS_BENCH.targetRatioMax,
    );
  return [one('classification', r.classification), one('regression', r.regression)];
}
