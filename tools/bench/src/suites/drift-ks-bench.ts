/**
 * The drift suite's KS part (issue 10): KS per feature plus a Bonferroni verdict, 10,000 x 50
 * reference against a 1,000 x 50 window, timed here and next to scipy doing the same in one
 * python3 process in the same run. The reference is sorted once outside the timing, as a
 * detector sorts it at fit; the window's sort is timed. scipy's time is measured inside Python
 * with perf_counter around its loop of `ks_2samp` over the 50 columns plus the Bonferroni
 * comparison, so interpreter start-up and data loading are not counted on its side either.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { correctPValues, ks2SampSorted } from '@sightline/stats';
import { median } from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';

/** The shape and target. */
export const DRIFT_KS_BENCH = {
  referenceRows: 10_000,
  windowRows: 1_000,
  features: 50,
  /** Features whose window is shifted, so the exact p-values see both small and large D. */
  driftedFeatures: 5,
  /** Mean shift of the drifted features, in standard deviations. */
  driftShiftSd: 0.25,
  alpha: 0.05,
  /** Timed repetitions per side (median reported), after the warm-up ones. */
  repetitions: 7,
  warmupRepetitions: 2,
  /** Ours over scipy's median time: at most this. */
  targetRatioMax: 1.0,
  /** How long the python3 side may take in all. */
  pythonTimeoutMs: 300_000,
  seed: 20261203,
} as const;

/** The figures of one run. */
export interface DriftKsBenchResult {
  readonly features: number;
  readonly referenceRows: number;
  readonly windowRows: number;
  /** Median over the timed repetitions of one KS + Bonferroni pass, ms. */
  readonly oursMedianMs: number;
  readonly scipyMedianMs: number;
  /** ours / scipy. */
  readonly ratio: number;
  readonly oursRunsMs: readonly number[];
  readonly scipyRunsMs: readonly number[];
  /** Features flagged by each side (they must agree: same p-values to 1e-6). */
  readonly oursRejected: number;
  readonly scipyRejected: number;
  /** Largest relative p-value difference over the features whose p-values differ by more than 1e-12. */
  readonly maxPValueRelativeDiff: number;
  readonly scipyVersion: string;
}

/** Seeded uniform source (mulberry32): both sides read the same bytes, so the seed only fixes the data. */
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

/** Column-major normal data, features x rows, with `shift` added to the first `shifted` features. */
function normalColumns(
  u: () => number,
  features: number,
  rows: number,
  shifted: number,
  shift: number,
): Float64Array {
  const data = new Float64Array(features * rows);
  for (let f = 0; f < features; f++) {
    const mean = f < shifted ? shift : 0;
    for (let r = 0; r < rows; r++) {
      const v = u();
      data[f * rows + r] = mean + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * v);
    }
  }
  return data;
}

const PYTHON = `
import json, sys, time
import numpy as np
import scipy
from scipy import stats
path, features, nref, nwin, alpha, reps, warm = sys.argv[1], *map(int, sys.argv[2:5]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
raw = np.fromfile(path, dtype='<f8')
ref = raw[:features * nref].reshape(features, nref)
win = raw[features * nref:].reshape(features, nwin)
ref = np.ascontiguousarray(np.sort(ref, axis=1))  # sorted once, as a detector would at fit
def one_pass():
    p = np.empty(features)
    for f in range(features):
        p[f] = stats.ks_2samp(ref[f], win[f]).pvalue
    return p, p <= alpha / features
runs = []
for i in range(warm + reps):
    t = time.perf_counter()
    p, rejected = one_pass()
    dt = (time.perf_counter() - t) * 1000
    if i >= warm:
        runs.append(dt)
print(json.dumps(dict(runs=runs, p=p.tolist(), rejected=int(rejected.sum()), version=scipy.__version__)))
`;

/** Runs both sides, ours first, then python3 (never at the same time). */
export function runDriftKsBench(): DriftKsBenchResult {
  const c = DRIFT_KS_BENCH;
  const u = uniform(c.seed);
  const reference = normalColumns(u, c.features, c.referenceRows, 0, 0);
  const window = normalColumns(u, c.features, c.windowRows, c.driftedFeatures, c.driftShiftSd);

  const referenceSorted: Float64Array[] = [];
  for (let f = 0; f < c.features; f++) {
    referenceSorted.push(reference.slice(f * c.referenceRows, (f + 1) * c.referenceRows).sort());
  }
  const windowColumn = new Float64Array(c.windowRows);
  const pValues: number[] = new Array(c.features).fill(0);
  let rejected = 0;
  const onePass = () => {
    for (let f = 0; f < c.features; f++) {
      windowColumn.set(window.subarray(f * c.windowRows, (f + 1) * c.windowRows));
      windowColumn.sort();
      pValues[f] = ks2SampSorted(referenceSorted[f]!, windowColumn).pValue;
    }
    rejected = correctPValues(pValues, c.alpha, 'bonferroni').rejected.filter(Boolean).length;
  };
  const oursRunsMs: number[] = [];
  for (let i = 0; i < c.warmupRepetitions + c.repetitions; i++) {
    const t = performance.now();
    onePass();
    const dt = performance.now() - t;
    if (i >= c.warmupRepetitions) oursRunsMs.push(dt);
  }

  const dir = mkdtempSync(join(tmpdir(), 'sightline-drift-ks-'));
  try {
    const path = join(dir, 'data.f64');
    const bytes = new Float64Array(reference.length + window.length);
    bytes.set(reference, 0);
    bytes.set(window, reference.length);
    writeFileSync(path, new Uint8Array(bytes.buffer));
    const out = execFileSync(
      'python3',
      [
        '-c',
        PYTHON,
        path,
        String(c.features),
        String(c.referenceRows),
        String(c.windowRows),
        String(c.alpha),
        String(c.repetitions),
        String(c.warmupRepetitions),
      ],
      { encoding: 'utf8', timeout: c.pythonTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
    );
    const py = JSON.parse(out) as { runs: number[]; p: number[]; rejected: number; version: string };
    let maxPValueRelativeDiff = 0;
    py.p.forEach((p, f) => {
      const d = Math.abs(pValues[f]! - p);
      if (d > 1e-12) maxPValueRelativeDiff = Math.max(maxPValueRelativeDiff, d / Math.abs(p));
    });
    const oursMedianMs = median(oursRunsMs);
    const scipyMedianMs = median(py.runs);
    return {
      features: c.features,
      referenceRows: c.referenceRows,
      windowRows: c.windowRows,
      oursMedianMs,
      scipyMedianMs,
      ratio: oursMedianMs / scipyMedianMs,
      oursRunsMs,
      scipyRunsMs: py.runs,
      oursRejected: rejected,
      scipyRejected: py.rejected,
      maxPValueRelativeDiff,
      scipyVersion: py.version,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report lines. */
export function formatDriftKsBench(r: DriftKsBenchResult): string {
  return [
    `KS + Bonferroni, ${r.referenceRows} x ${r.features} reference (sorted at fit) vs ${r.windowRows} x ${r.features} window (sort timed):`,
    `  ours:  median ${r.oursMedianMs.toFixed(2)} ms per pass (${r.oursRunsMs.map((t) => t.toFixed(1)).join(', ')})`,
    `  scipy ${r.scipyVersion} ks_2samp loop: median ${r.scipyMedianMs.toFixed(2)} ms (${r.scipyRunsMs.map((t) => t.toFixed(1)).join(', ')})`,
    `  ratio ours/scipy ${r.ratio.toFixed(3)}x; features flagged ${r.oursRejected} / ${r.scipyRejected}; max p-value relative difference ${r.maxPValueRelativeDiff.toExponential(1)} (beyond 1e-12 absolute)`,
  ].join('\n');
}

/** The KS target: ours over scipy's time (the p-value agreement is reported beside it). */
export function driftKsChecks(r: DriftKsBenchResult): RatioCheck[] {
  return [
    check(
      'drift KS + Bonferroni / scipy ks_2samp loop, time',
      r.ratio,
      'x',
      '<=',
      DRIFT_KS_BENCH.targetRatioMax,
    ),
  ];
}
