/**
 * The outlier suite's kernel part (issue 11): libs/stats' Isolation Forest (100 trees,
 * subsample 256) fitted on 10,000 x 10 and scoring those 10,000 rows, timed here and next to
 * scikit-learn's `IsolationForest` doing the same in one python3 process of the same run.
 * scikit-learn's times are taken inside Python with perf_counter around `fit` and around
 * `score_samples`, so interpreter start-up and data loading are not counted on its side; ours
 * include the input checks (NaN/Inf scan). 1% of the rows are planted outliers, so each side's
 * ROC AUC is printed beside the times as a check that both did the same job.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolationForest } from '@sightline/stats';
import { median } from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';
import { sklearnPython } from './sklearn-python.js';

/** The shape and targets. */
export const OUTLIER_IFOREST_BENCH = {
  rows: 10_000,
  columns: 10,
  trees: 100,
  maxSamples: 256,
  /** Rows replaced by uniform draws in [-6, 6]^d (the planted outliers). */
  outlierRows: 100,
  /** Timed repetitions per side (median reported), after the warm-up ones; repetition k uses seed k. */
  repetitions: 7,
  warmupRepetitions: 2,
  /** Ours over scikit-learn's median time: at most these. */
  targetFitRatioMax: 2.0,
  targetScoreRatioMax: 1.0,
  pythonTimeoutMs: 300_000,
  seed: 20261204,
} as const;

/** The figures of one run. */
export interface OutlierIforestBenchResult {
  readonly rows: number;
  readonly columns: number;
  readonly trees: number;
  readonly maxSamples: number;
  readonly oursFitMedianMs: number;
  readonly oursScoreMedianMs: number;
  readonly sklearnFitMedianMs: number;
  readonly sklearnScoreMedianMs: number;
  /** ours / scikit-learn. */
  readonly fitRatio: number;
  readonly scoreRatio: number;
  readonly oursFitRunsMs: readonly number[];
  readonly oursScoreRunsMs: readonly number[];
  readonly sklearnFitRunsMs: readonly number[];
  readonly sklearnScoreRunsMs: readonly number[];
  /** Mean ROC AUC over the timed repetitions against the planted outliers. */
  readonly oursAuc: number;
  readonly sklearnAuc: number;
  readonly sklearnVersion: string;
  readonly python: string;
}

/** Seeded uniform source (mulberry32), as the drift suite's: both sides read the same bytes. */
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

/** Row-major standard normal rows, the first `outliers` replaced by uniform draws in [-6, 6]. */
function plantedRows(u: () => number, rows: number, columns: number, outliers: number): Float64Array {
  const data = new Float64Array(rows * columns);
  for (let t = 0; t < data.length; t++) {
    if (t < outliers * columns) data[t] = -6 + 12 * u();
    else data[t] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  }
  return data;
}

/** ROC AUC of anomaly scores (higher = more abnormal) where the first `outliers` rows are the positives. */
function aucFirstRows(anomaly: ArrayLike<number>, outliers: number): number {
  const order = Array.from({ length: anomaly.length }, (_, i) => i).sort((a, b) => anomaly[a]! - anomaly[b]!);
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && anomaly[order[end + 1]!] === anomaly[order[start]!]) end++;
    for (let k = start; k <= end; k++) if (order[k]! < outliers) rankSum += (start + end) / 2 + 1;
    start = end + 1;
  }
  return (rankSum - (outliers * (outliers + 1)) / 2) / (outliers * (anomaly.length - outliers));
}

const PYTHON = `
import json, sys, time, warnings
import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
warnings.simplefilter('ignore')
path, rows, cols, trees, max_samples, outliers, reps, warm = sys.argv[1], *map(int, sys.argv[2:9])
x = np.fromfile(path, dtype='<f8').reshape(rows, cols)
y = np.zeros(rows); y[:outliers] = 1
fits, scores, aucs = [], [], []
for i in range(warm + reps):
    t = time.perf_counter()
    forest = IsolationForest(n_estimators=trees, max_samples=max_samples, random_state=i).fit(x)
    fit_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    s = forest.score_samples(x)
    score_ms = (time.perf_counter() - t) * 1000
    if i >= warm:
        fits.append(fit_ms); scores.append(score_ms); aucs.append(roc_auc_score(y, -s))
print(json.dumps(dict(fits=fits, scores=scores, auc=float(np.mean(aucs)), version=sklearn.__version__)))
`;

/** Runs both sides, ours first, then python3 (never at the same time). */
export function runOutlierIforestBench(): OutlierIforestBenchResult {
  const c = OUTLIER_IFOREST_BENCH;
  const data = plantedRows(uniform(c.seed), c.rows, c.columns, c.outlierRows);
  const x = { rows: c.rows, cols: c.columns, data };
  const oursFitRunsMs: number[] = [];
  const oursScoreRunsMs: number[] = [];
  const oursAucs: number[] = [];
  for (let i = 0; i < c.warmupRepetitions + c.repetitions; i++) {
    let t = performance.now();
    const forest = IsolationForest.fit(x, { nEstimators: c.trees, maxSamples: c.maxSamples, seed: i });
    const fitMs = performance.now() - t;
    t = performance.now();
    const scores = forest.scoreSamples(x);
    const scoreMs = performance.now() - t;
    if (i >= c.warmupRepetitions) {
      oursFitRunsMs.push(fitMs);
      oursScoreRunsMs.push(scoreMs);
      oursAucs.push(
        aucFirstRows(
          scores.map((s) => -s),
          c.outlierRows,
        ),
      );
    }
  }

  const python = sklearnPython();
  const dir = mkdtempSync(join(tmpdir(), 'sightline-outlier-iforest-'));
  try {
    const path = join(dir, 'data.f64');
    writeFileSync(path, new Uint8Array(data.buffer));
    const out = execFileSync(
      python,
      [
        '-c',
        PYTHON,
        path,
        ...[c.rows, c.columns, c.trees, c.maxSamples, c.outlierRows, c.repetitions, c.warmupRepetitions].map(
          String,
        ),
      ],
      { encoding: 'utf8', timeout: c.pythonTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
    );
    const py = JSON.parse(out) as { fits: number[]; scores: number[]; auc: number; version: string };
    const oursFitMedianMs = median(oursFitRunsMs);
    const oursScoreMedianMs = median(oursScoreRunsMs);
    const sklearnFitMedianMs = median(py.fits);
    const sklearnScoreMedianMs = median(py.scores);
    return {
      rows: c.rows,
      columns: c.columns,
      trees: c.trees,
      maxSamples: c.maxSamples,
      oursFitMedianMs,
      oursScoreMedianMs,
      sklearnFitMedianMs,
      sklearnScoreMedianMs,
      fitRatio: oursFitMedianMs / sklearnFitMedianMs,
      scoreRatio: oursScoreMedianMs / sklearnScoreMedianMs,
      oursFitRunsMs,
      oursScoreRunsMs,
      sklearnFitRunsMs: py.fits,
      sklearnScoreRunsMs: py.scores,
      oursAuc: oursAucs.reduce((s, v) => s + v, 0) / oursAucs.length,
      sklearnAuc: py.auc,
      sklearnVersion: py.version,
      python,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report lines. */
export function formatOutlierIforest(r: OutlierIforestBenchResult): string {
  const runs = (values: readonly number[]) => values.map((t) => t.toFixed(1)).join(', ');
  return [
    `Isolation Forest, ${r.trees} trees, subsample ${r.maxSamples}: fit on ${r.rows} x ${r.columns}, score ${r.rows} rows:`,
    `  ours:  fit median ${r.oursFitMedianMs.toFixed(2)} ms (${runs(r.oursFitRunsMs)}), score median ${r.oursScoreMedianMs.toFixed(2)} ms (${runs(r.oursScoreRunsMs)})`,
    `  scikit-learn ${r.sklearnVersion} (${r.python}): fit median ${r.sklearnFitMedianMs.toFixed(2)} ms (${runs(r.sklearnFitRunsMs)}), score median ${r.sklearnScoreMedianMs.toFixed(2)} ms (${runs(r.sklearnScoreRunsMs)})`,
    `  ratio ours/scikit-learn: fit ${r.fitRatio.toFixed(3)}x, score ${r.scoreRatio.toFixed(3)}x; ROC AUC on the planted 1% ${r.oursAuc.toFixed(4)} / ${r.sklearnAuc.toFixed(4)}`,
  ].join('\n');
}

/** The targets: fit at most 2x, scoring at most 1.0x scikit-learn's time. */
export function outlierIforestChecks(r: OutlierIforestBenchResult): RatioCheck[] {
  const c = OUTLIER_IFOREST_BENCH;
  return [
    check('outlier iforest fit / scikit-learn, time', r.fitRatio, 'x', '<=', c.targetFitRatioMax),
    check(
      'outlier iforest score_samples / scikit-learn, time',
      r.scoreRatio,
      'x',
      '<=',
      c.targetScoreRatioMax,
    ),
  ];
}
