import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type DenseMatrix, KernelThreads, mmdPermutationTest, seededRandom } from '@sightline/stats';
import type { RatioCheck } from '../report/ratios.js';

/** The MMD benchmark: 1,000 vs 1,000 points in 32 dimensions, 100 permutations. */
export const DRIFT_MMD_BENCH = {
  referenceRows: 1_000,
  sampleRows: 1_000,
  dims: 32,
  permutations: 100,
  /** Rotating rounds (one run of each side each); the medians are reported. */
  rounds: 7,
  /** Helper threads of the targets' TypeScript figure: with the calling thread, the VM's 2 cores, as numpy's BLAS uses both. */
  helperThreads: 1,
  /** Unmeasured runs of each side before the rounds (JIT, BLAS threads, page faults). */
  warmupRuns: 2,
  seed: 1,
  /** Mean shift of the sample in every dimension, so the statistic is not noise. */
  shift: 0.1,
} as const;

/** The targets for the MMD part. */
export const DRIFT_MMD_TARGETS = {
  /** Median of the rounds' TypeScript / numpy ratios: at most this. */
  vsNumpyMax: 1.0,
  /** TypeScript median wall time: below this. */
  wallMaxMs: 1_000,
} as const;

/** Upper bound on one numpy round before the benchmark gives up. */
const NUMPY_ROUND_TIMEOUT_MS = 60_000;

/**
 * The vectorised numpy baseline, a long-lived python3 process: it reads the two samples as
 * one JSON line, answers `ready` with its sigma and observed MMD², then times one full test
 * (perf_counter) per `run` line. Same algorithm as the TypeScript side: the pooled squared
 * distances via one matrix product, Alibi's sigma_median on the pooled sample by
 * np.partition, the kernel by np.exp, and all permutations at once as K @ W' with W the
 * (permutations + 1) x N group indicators, from which every MMD² follows by sums.
 */
const NUMPY_MMD_SCRIPT = `
import json, sys, time
import numpy as np
def mmd_test(x, y, P, rng):
    n, m = len(x), len(y)
    z = np.vstack([x, y]); N = n + m
    sq = np.einsum('ij,ij->i', z, z)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (z @ z.T)
    np.maximum(d2, 0.0, out=d2); np.fill_diagonal(d2, 0.0)
    k = N + (N * N - N) // 2 - 1
    sigma = np.sqrt(0.5 * np.partition(d2.ravel(), k)[k])
    K = np.exp(d2 * (-1.0 / (2.0 * sigma * sigma))); np.fill_diagonal(K, 0.0)
    W = np.zeros((P + 1, N)); W[0, :n] = 1.0
    for p in range(P):
        W[p + 1, rng.permutation(N)[:n]] = 1.0
    KW = K @ W.T
    xx = (W * KW.T).sum(1)
    colsum = KW.sum(0)
    xy = colsum - xx
    yy = K.sum() - xx - 2 * xy
    mmd2 = xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m)
    p_val = float((mmd2[1:] >= mmd2[0]).mean())
    return float(mmd2[0]), p_val, float(sigma)
data = json.loads(sys.stdin.readline())
x = np.array(data['x']).reshape(data['n'], data['d']); y = np.array(data['y']).reshape(data['m'], data['d'])
rng = np.random.default_rng(data['seed'])
stat, p, sigma = mmd_test(x, y, data['permutations'], rng)
print(json.dumps({'statistic': stat, 'pValue': p, 'sigma': sigma}), flush=True)
for line in sys.stdin:
    t = time.perf_counter(); mmd_test(x, y, data['permutations'], rng); ms = (time.perf_counter() - t) * 1e3
    print(json.dumps({'ms': ms}), flush=True)
`;

/** Both sides' figures. */
export interface DriftMmdBenchResult {
  readonly config: typeof DRIFT_MMD_BENCH;
  /** With `helperThreads` KernelThreads: both cores, as numpy (the targets' figure). */
  readonly typescriptMs: readonly number[];
  /** The default path, the calling thread alone, for reference. */
  readonly singleThreadMs: readonly number[];
  readonly singleThreadMedianMs: number;
  readonly singleThreadRatio: number;
  readonly numpyMs: readonly number[];
  readonly typescriptMedianMs: number;
  readonly numpyMedianMs: number;
  /**
   * Median over rounds of each round's TypeScript / numpy time (the project's paired-round
   * reading: a busy moment of the shared VM hits both sides of a round).
   */
  readonly ratio: number;
  /** Cross-check: both sides compute the same observed MMD² and bandwidth. */
  readonly statistic: number;
  readonly numpyStatistic: number;
  readonly sigma: number;
  readonly numpySigma: number;
}

/**
 * Times `mmdPermutationTest` (with helper threads, and alone) and the numpy baseline in
 * rotating rounds in this process and one python3 child (so a busy moment of a shared
 * machine hits all three), and reports medians.
 * Throws when python3 with numpy cannot run or a round exceeds its timeout.
 */
export async function runDriftMmdBench(config = DRIFT_MMD_BENCH): Promise<DriftMmdBenchResult> {
  const random = seededRandom(config.seed);
  const sample = (rows: number, shift: number): DenseMatrix => {
    const data = new Float64Array(rows * config.dims);
    for (let t = 0; t < data.length; t++) data[t] = random.nextNormal() + shift;
    return { rows, cols: config.dims, data };
  };
  const x = sample(config.referenceRows, 0);
  const y = sample(config.sampleRows, config.shift);
  // Started outside the timings, as a service starts them once at boot.
  const threads = KernelThreads.create(config.helperThreads);
  const runTypescript = (seed: number, withThreads = true) => {
    const start = performance.now();
    const result = mmdPermutationTest(x, y, {
      seed,
      permutations: config.permutations,
      ...(withThreads && { threads }),
    });
    return { ms: performance.now() - start, result };
  };

  const child = spawn('python3', ['-c', NUMPY_MMD_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<Record<string, number>> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`numpy baseline: no answer in ${NUMPY_ROUND_TIMEOUT_MS} ms`)),
        NUMPY_ROUND_TIMEOUT_MS,
      );
    });
    try {
      const next = await Promise.race([lines.next(), timeout]);
      if (next.done) throw new Error(`numpy baseline exited: ${stderr.trim() || 'no output'}`);
      return JSON.parse(next.value) as Record<string, number>;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    child.stdin.write(
      `${JSON.stringify({
        x: Array.from(x.data),
        y: Array.from(y.data),
        n: x.rows,
        m: y.rows,
        d: config.dims,
        permutations: config.permutations,
        seed: config.seed,
      })}\n`,
    );
    const numpyFirst = await nextLine();
    const { result } = runTypescript(0);
    for (let w = 0; w < config.warmupRuns; w++) {
      runTypescript(w + 1);
      runTypescript(w + 1, false);
      child.stdin.write('run\n');
      await nextLine();
    }
    const typescriptMs: number[] = [];
    const singleThreadMs: number[] = [];
    const numpyMs: number[] = [];
    const steps: (() => Promise<void>)[] = [
      async () => {
        typescriptMs.push(runTypescript(100 + typescriptMs.length).ms);
      },
      async () => {
        singleThreadMs.push(runTypescript(100 + singleThreadMs.length, false).ms);
      },
      async () => {
        child.stdin.write('run\n');
        numpyMs.push((await nextLine()).ms!);
      },
    ];
    for (let round = 0; round < config.rounds; round++) {
      // Rotate who goes first, so no side always runs right after another.
      for (let s = 0; s < steps.length; s++) await steps[(round + s) % steps.length]!();
    }
    const typescriptMedianMs = median(typescriptMs);
    const numpyMedianMs = median(numpyMs);
    return {
      config,
      typescriptMs,
      singleThreadMs,
      singleThreadMedianMs: median(singleThreadMs),
      singleThreadRatio: median(singleThreadMs.map((ms, round) => ms / numpyMs[round]!)),
      numpyMs,
      typescriptMedianMs,
      numpyMedianMs,
      ratio: median(typescriptMs.map((ms, round) => ms / numpyMs[round]!)),
      statistic: result.statistic,
      numpyStatistic: numpyFirst.statistic!,
      sigma: result.sigma,
      numpySigma: numpyFirst.sigma!,
    };
  } finally {
    child.stdin.end();
    child.kill();
    await threads.close();
  }
}

/** The report lines of the MMD part. */
export function formatDriftMmd(result: DriftMmdBenchResult): string {
  const c = result.config;
  const ms = (values: readonly number[]) => values.map((v) => v.toFixed(0)).join(' ');
  return [
    `MMD permutation test, ${c.referenceRows} vs ${c.sampleRows} points in ${c.dims} dims, ${c.permutations} permutations, ${c.rounds} rotating rounds:`,
    `  TypeScript (@sightline/stats mmdPermutationTest, calling thread + ${c.helperThreads} KernelThreads helper): median ${result.typescriptMedianMs.toFixed(1)} ms  [${ms(result.typescriptMs)}]`,
    `  TypeScript, default path (calling thread alone): median ${result.singleThreadMedianMs.toFixed(1)} ms  [${ms(result.singleThreadMs)}], ${result.singleThreadRatio.toFixed(2)}x numpy (median of round ratios)`,
    `  numpy (vectorised, one python3 process, perf_counter): median ${result.numpyMedianMs.toFixed(1)} ms  [${ms(result.numpyMs)}]`,
    `  TypeScript / numpy, median of the rounds' ratios: ${result.ratio.toFixed(2)}x`,
    `  cross-check: MMD² ${result.statistic.toPrecision(12)} vs ${result.numpyStatistic.toPrecision(12)}, sigma ${result.sigma.toPrecision(12)} vs ${result.numpySigma.toPrecision(12)}`,
  ].join('\n');
}

/** The MMD part's targets. */
export function driftMmdChecks(result: DriftMmdBenchResult): RatioCheck[] {
  const check = (
    name: string,
    value: number,
    unit: RatioCheck['unit'],
    comparison: '<=' | '<',
    target: number,
  ): RatioCheck => ({
    name,
    value,
    unit,
    comparison,
    target,
    verdict: (comparison === '<=' ? value <= target : value < target) ? 'PASS' : 'FAIL',
  });
  return [
    check(
      'MMD 1000v1000x32, 100 perms: TypeScript / numpy',
      result.ratio,
      'x',
      '<=',
      DRIFT_MMD_TARGETS.vsNumpyMax,
    ),
    check(
      'MMD 1000v1000x32, 100 perms: TypeScript wall',
      result.typescriptMedianMs,
      'ms',
      '<',
      DRIFT_MMD_TARGETS.wallMaxMs,
    ),
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
