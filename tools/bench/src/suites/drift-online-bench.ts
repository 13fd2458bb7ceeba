import { execFileSync } from 'node:child_process';
import { CvmDriftOnline, type DenseMatrix, MmdDriftOnline, seededRandom } from '@sightline/stats';
import type { RatioCheck } from '../report/ratios.js';

/**
 * The online detectors' threshold configuration (their Fit): MMD online with Alibi's defaults
 * (1,000 bootstraps) next to a vectorised numpy implementation of the same bootstrap, and CVM
 * online (10,000 bootstraps, Alibi's default) on its own.
 */
export const DRIFT_ONLINE_BENCH = {
  referenceRows: 1_000,
  dims: 8,
  ert: 500,
  windowSize: 20,
  mmdBootstraps: 1_000,
  cvmWindowSizes: [10, 20],
  cvmBootstraps: 10_000,
  /** Rounds (one run of each side each); the medians are reported. */
  rounds: 5,
  seed: 1,
} as const;

/** The online part's target: configuring MMD thresholds no slower than numpy. */
export const DRIFT_ONLINE_TARGETS = { mmdVsNumpyMax: 1.0 } as const;

/** Upper bound on one numpy run. */
const NUMPY_TIMEOUT_MS = 120_000;

/**
 * numpy: the same configuration as libs/stats' MmdDriftOnline.fit — pairwise squared
 * distances by one matrix product, Alibi's sigma_median on the reference, the kernel, then
 * all bootstraps at once: the held-out kernel blocks K[y, y] (bootstraps x (2W-1)²), their
 * 2-D cumulative sums for every window's within-sum, the cross sums from the row sums, and
 * the sequential (1 - 1/ert) quantiles (numpy's linear = type 7) dropping the alarmed
 * simulations. One warm-up run, then the timed one (perf_counter).
 */
const NUMPY_MMD_ONLINE_SCRIPT = `
import json, sys, time
import numpy as np
data = json.load(sys.stdin)
x = np.array(data['x']).reshape(data['n'], data['d'])
W, B, ert = data['w'], data['b'], data['ert']
def configure(rng):
    n = len(x); etw = 2 * W - 1; rw = n - etw
    sq = np.einsum('ij,ij->i', x, x)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)
    np.maximum(d2, 0.0, out=d2); np.fill_diagonal(d2, 0.0)
    k = n + (n * n - n) // 2 - 1
    sigma = np.sqrt(0.5 * np.partition(d2.ravel(), k)[k])
    K = np.exp(d2 * (-1.0 / (2.0 * sigma * sigma))); np.fill_diagonal(K, 0.0)
    rows = K.sum(1); total = rows.sum()
    Y = rng.permuted(np.tile(np.arange(n), (B, 1)), axis=1)[:, :etw]
    Ky = K[Y[:, :, None], Y[:, None, :]]
    col = rows[Y] - Ky.sum(2)
    kxx = (total - Ky.sum((1, 2)) - 2 * col.sum(1)) / (rw * (rw - 1))
    S = np.zeros((B, etw + 1, etw + 1)); S[:, 1:, 1:] = Ky.cumsum(1).cumsum(2)
    C = np.zeros((B, etw + 1)); C[:, 1:] = col.cumsum(1)
    t = np.arange(W)
    within = S[:, t + W, t + W] - S[:, t, t + W] - S[:, t + W, t] + S[:, t, t]
    cross = C[:, t + W] - C[:, t]
    stats = kxx[:, None] + within / (W * (W - 1)) - 2 * cross / (rw * W)
    alive = np.ones(B, dtype=bool); thresholds = []
    for s in range(W):
        thr = np.quantile(stats[alive, s], 1 - 1 / ert)
        thresholds.append(float(thr)); alive &= stats[:, s] < thr
    return thresholds
configure(np.random.default_rng(data['seed']))
start = time.perf_counter(); thresholds = configure(np.random.default_rng(data['seed'] + 1))
print(json.dumps({'ms': (time.perf_counter() - start) * 1e3, 'thresholds': thresholds}))
`;

/** The figures. */
export interface DriftOnlineBenchResult {
  readonly config: typeof DRIFT_ONLINE_BENCH;
  readonly mmdTypescriptMs: readonly number[];
  readonly mmdNumpyMs: readonly number[];
  readonly mmdTypescriptMedianMs: number;
  readonly mmdNumpyMedianMs: number;
  /** Median of the rounds' TypeScript / numpy ratios. */
  readonly mmdRatio: number;
  /** Cross-check: the last threshold of each side (different random splits, so close, not equal). */
  readonly mmdLastThreshold: number;
  readonly numpyLastThreshold: number;
  readonly cvmTypescriptMs: readonly number[];
  readonly cvmTypescriptMedianMs: number;
}

/**
 * Times MmdDriftOnline.fit and the numpy baseline in alternating rounds, and CvmDriftOnline.fit.
 * Throws when python3 with numpy cannot run.
 */
export function runDriftOnlineBench(config = DRIFT_ONLINE_BENCH): DriftOnlineBenchResult {
  const random = seededRandom(config.seed);
  const data = new Float64Array(config.referenceRows * config.dims);
  for (let t = 0; t < data.length; t++) data[t] = random.nextNormal();
  const reference: DenseMatrix = { rows: config.referenceRows, cols: config.dims, data };
  const input = JSON.stringify({
    x: Array.from(data),
    n: config.referenceRows,
    d: config.dims,
    w: config.windowSize,
    b: config.mmdBootstraps,
    ert: config.ert,
    seed: config.seed,
  });
  const mmdFit = (seed: number) => {
    const start = performance.now();
    const detector = MmdDriftOnline.fit(reference, {
      ert: config.ert,
      windowSize: config.windowSize,
      nBootstraps: config.mmdBootstraps,
      seed,
    });
    return { ms: performance.now() - start, thresholds: detector.toJson().thresholds };
  };
  const numpy = () =>
    JSON.parse(
      execFileSync('python3', ['-c', NUMPY_MMD_ONLINE_SCRIPT], {
        input,
        encoding: 'utf8',
        timeout: NUMPY_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      }),
    ) as { ms: number; thresholds: number[] };
  mmdFit(0);
  const mmdTypescriptMs: number[] = [];
  const mmdNumpyMs: number[] = [];
  let last = { ts: 0, np: 0 };
  for (let round = 0; round < config.rounds; round++) {
    const ts = mmdFit(round + 1);
    const np = numpy();
    mmdTypescriptMs.push(ts.ms);
    mmdNumpyMs.push(np.ms);
    last = { ts: ts.thresholds.at(-1)!, np: np.thresholds.at(-1)! };
  }
  const cvmTypescriptMs: number[] = [];
  for (let round = 0; round < config.rounds; round++) {
    const start = performance.now();
    CvmDriftOnline.fit(reference, {
      ert: config.ert,
      windowSizes: config.cvmWindowSizes,
      nBootstraps: config.cvmBootstraps,
      seed: round,
    });
    cvmTypescriptMs.push(performance.now() - start);
  }
  return {
    config,
    mmdTypescriptMs,
    mmdNumpyMs,
    mmdTypescriptMedianMs: median(mmdTypescriptMs),
    mmdNumpyMedianMs: median(mmdNumpyMs),
    mmdRatio: median(mmdTypescriptMs.map((ms, round) => ms / mmdNumpyMs[round]!)),
    mmdLastThreshold: last.ts,
    numpyLastThreshold: last.np,
    cvmTypescriptMs,
    cvmTypescriptMedianMs: median(cvmTypescriptMs),
  };
}

/** The report lines of the online part. */
export function formatDriftOnline(result: DriftOnlineBenchResult): string {
  const c = result.config;
  const ms = (values: readonly number[]) => values.map((v) => v.toFixed(0)).join(' ');
  return [
    `Online threshold configuration (Fit), ${c.referenceRows} reference rows x ${c.dims} dims, ert ${c.ert}, ${c.rounds} rounds:`,
    `  MMD online, window ${c.windowSize}, ${c.mmdBootstraps} bootstraps: TypeScript (@sightline/stats MmdDriftOnline.fit) median ${result.mmdTypescriptMedianMs.toFixed(1)} ms  [${ms(result.mmdTypescriptMs)}]`,
    `  numpy (vectorised, same bootstrap, perf_counter after a warm-up): median ${result.mmdNumpyMedianMs.toFixed(1)} ms  [${ms(result.mmdNumpyMs)}]`,
    `  TypeScript / numpy, median of the rounds' ratios: ${result.mmdRatio.toFixed(2)}x`,
    `  cross-check: last threshold ${result.mmdLastThreshold.toPrecision(6)} vs numpy ${result.numpyLastThreshold.toPrecision(6)} (different random splits)`,
    `  CVM online, windows ${c.cvmWindowSizes.join(',')}, ${c.cvmBootstraps} bootstraps: TypeScript median ${result.cvmTypescriptMedianMs.toFixed(1)} ms  [${ms(result.cvmTypescriptMs)}]`,
  ].join('\n');
}

/** The online part's target. */
export function driftOnlineChecks(result: DriftOnlineBenchResult): RatioCheck[] {
  return [
    {
      name: `MMD online fit ${DRIFT_ONLINE_BENCH.referenceRows}x${DRIFT_ONLINE_BENCH.dims}, W ${DRIFT_ONLINE_BENCH.windowSize}, ${DRIFT_ONLINE_BENCH.mmdBootstraps} bootstraps: TypeScript / numpy`,
      value: result.mmdRatio,
      unit: 'x',
      comparison: '<=',
      target: DRIFT_ONLINE_TARGETS.mmdVsNumpyMax,
      verdict: result.mmdRatio <= DRIFT_ONLINE_TARGETS.mmdVsNumpyMax ? 'PASS' : 'FAIL',
    },
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
