/**
 * A paired, interleaved comparison of two setups at one concurrency: short rounds that
 * alternate baseline and candidate (baseline first in even rounds, candidate first in odd
 * ones), and the median over rounds of the per-round difference and ratios.
 *
 * Why: on a shared machine the speed of the whole VM drifts by tens of percent within a
 * minute, so two setups measured minutes apart (one long point each) differ by more than
 * the effect being measured. Back-to-back rounds see the same drift, alternating the order
 * cancels any "second one runs on a warmer/colder machine" bias, and the median ignores a
 * round that a neighbour's burst spoiled.
 *
 * Whole warm-up rounds run first and are reported but left out of the medians: a freshly
 * started server process (its JIT, its connection pools, the detector's first allocations)
 * keeps getting faster for a few seconds, longer than the per-side warm-up, so the first
 * rounds of a quiet-VM run measured 0.44-0.77 ms where the settled ones measured 0.35 ms —
 * the median then carried start-up, not the steady cost the targets are about (as JMH's
 * warm-up iterations, or Triton's perf_analyzer's stabilisation windows).
 */
import { type LoadResult, runLoad } from './load-generator.js';

/**
 * Defaults of the paired comparisons behind the ratio targets: rounds, the measured time
 * per side per round, and the warm-up before each.
 */
export const DEFAULT_PAIRED_ROUNDS = 7;
export const DEFAULT_PAIRED_DURATION_MS = 1_500;
export const PAIRED_WARMUP_MS = 500;
/** Whole rounds run and left out of the medians before the measured ones. */
export const DEFAULT_PAIRED_WARMUP_ROUNDS = 2;

/** One side of a comparison: a label for the report and one request. */
export interface PairedSide {
  readonly label: string;
  readonly call: () => Promise<void>;
}

/** What to compare and how long. */
export interface PairedOptions {
  /** Stable id for ratios and JSON consumers, e.g. `floor-vs-iris`. */
  readonly id: string;
  readonly baseline: PairedSide;
  readonly candidate: PairedSide;
  readonly concurrency: number;
  /** Rounds; each measures both sides once. */
  readonly rounds: number;
  /** Measured time per side per round. */
  readonly durationMs: number;
  /** Unmeasured warm-up before each side's measurement in each round. */
  readonly warmupMs: number;
  /** Whole rounds run first and left out of the medians; default {@link DEFAULT_PAIRED_WARMUP_ROUNDS}. */
  readonly warmupRounds?: number;
  /** Called after each round, for progress output. */
  readonly onRound?: (index: number, round: PairedRound) => void;
}

/** Both sides' results in one round. */
export interface PairedRound {
  readonly baseline: LoadResult;
  readonly candidate: LoadResult;
}

/** The medians over rounds of per-round figures (candidate against baseline). */
export interface PairedSummary {
  readonly rounds: number;
  /** Median of (candidate p50 - baseline p50), ms. */
  readonly p50AddedMs: number;
  /** Median of (candidate p99 - baseline p99), ms. */
  readonly p99AddedMs: number;
  /** Median of candidate p50 / baseline p50. */
  readonly p50Ratio: number;
  /** Median of candidate throughput / baseline throughput. */
  readonly throughputRatio: number;
  /** Medians of each side's own p50 (ms) and throughput (requests/s), for the table. */
  readonly baselineP50Ms: number;
  readonly candidateP50Ms: number;
  readonly baselineThroughputPerSec: number;
  readonly candidateThroughputPerSec: number;
}

/** A finished comparison: its rounds and their medians. */
export interface PairedComparison extends PairedSummary {
  readonly id: string;
  readonly baselineLabel: string;
  readonly candidateLabel: string;
  readonly concurrency: number;
  /** The measured rounds, in order. */
  readonly perRound: readonly PairedRound[];
  /** The warm-up rounds, in order, left out of the medians. */
  readonly warmupPerRound: readonly PairedRound[];
}

/** Runs the rounds (see the file comment). */
export async function runPaired(options: PairedOptions): Promise<PairedComparison> {
  if (!(Number.isInteger(options.rounds) && options.rounds > 0)) {
    throw new RangeError(`rounds: expected a positive integer, got ${options.rounds}`);
  }
  const warmupCount = options.warmupRounds ?? DEFAULT_PAIRED_WARMUP_ROUNDS;
  if (!(Number.isInteger(warmupCount) && warmupCount >= 0)) {
    throw new RangeError(`warmupRounds: expected a non-negative integer, got ${warmupCount}`);
  }
  const measure = (side: PairedSide) =>
    runLoad({
      call: side.call,
      concurrency: options.concurrency,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
    });
  const runRound = async (i: number): Promise<PairedRound> => {
    if (i % 2 === 0) {
      const baseline = await measure(options.baseline);
      return { baseline, candidate: await measure(options.candidate) };
    }
    const candidate = await measure(options.candidate);
    return { baseline: await measure(options.baseline), candidate };
  };
  const warmupRounds: PairedRound[] = [];
  for (let i = 0; i < warmupCount; i++) warmupRounds.push(await runRound(i));
  const perRound: PairedRound[] = [];
  for (let i = 0; i < options.rounds; i++) {
    // Measured rounds keep alternating from where the warm-up left off.
    const round = await runRound(warmupCount + i);
    perRound.push(round);
    options.onRound?.(i, round);
  }
  return {
    id: options.id,
    baselineLabel: options.baseline.label,
    candidateLabel: options.candidate.label,
    concurrency: options.concurrency,
    perRound,
    warmupPerRound: warmupRounds,
    ...summarizePaired(perRound),
  };
}

/** The medians of `rounds`' per-round figures. NaN figures when there are no rounds. */
export function summarizePaired(rounds: readonly PairedRound[]): PairedSummary {
  const per = (f: (r: PairedRound) => number) => median(rounds.map(f));
  return {
    rounds: rounds.length,
    p50AddedMs: per((r) => r.candidate.latency.p50Ms - r.baseline.latency.p50Ms),
    p99AddedMs: per((r) => r.candidate.latency.p99Ms - r.baseline.latency.p99Ms),
    p50Ratio: per((r) => r.candidate.latency.p50Ms / r.baseline.latency.p50Ms),
    throughputRatio: per((r) => r.candidate.throughputPerSec / r.baseline.throughputPerSec),
    baselineP50Ms: per((r) => r.baseline.latency.p50Ms),
    candidateP50Ms: per((r) => r.candidate.latency.p50Ms),
    baselineThroughputPerSec: per((r) => r.baseline.throughputPerSec),
    candidateThroughputPerSec: per((r) => r.candidate.throughputPerSec),
  };
}

/** The median (mean of the middle two for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The comparison as table rows: one per round, then the medians. */
export function formatPaired(comparison: PairedComparison): string {
  const { baselineLabel, candidateLabel, concurrency } = comparison;
  const lines = [
    `paired rounds, c=${concurrency}: ${candidateLabel} against ${baselineLabel} ` +
      `(alternating order; median over ${comparison.rounds} rounds after ${comparison.warmupPerRound.length} warm-up rounds, marked w)`,
    '  round  base p50 ms  cand p50 ms  +p50 ms  base infer/s  cand infer/s  thr ratio',
  ];
  const rows = [
    ...comparison.warmupPerRound.map((r, i) => ({ r, name: `w${i + 1}` })),
    ...comparison.perRound.map((r, i) => ({ r, name: String(i + 1) })),
  ];
  rows.forEach(({ r, name }) => {
    lines.push(
      `  ${name.padStart(5)}  ${r.baseline.latency.p50Ms.toFixed(3).padStart(11)}  ` +
        `${r.candidate.latency.p50Ms.toFixed(3).padStart(11)}  ` +
        `${(r.candidate.latency.p50Ms - r.baseline.latency.p50Ms).toFixed(3).padStart(7)}  ` +
        `${r.baseline.throughputPerSec.toFixed(0).padStart(12)}  ${r.candidate.throughputPerSec.toFixed(0).padStart(12)}  ` +
        `${(r.candidate.throughputPerSec / r.baseline.throughputPerSec).toFixed(3).padStart(9)}`,
    );
  });
  lines.push(
    `  median ${comparison.baselineP50Ms.toFixed(3).padStart(11)}  ${comparison.candidateP50Ms.toFixed(3).padStart(11)}  ` +
      `${comparison.p50AddedMs.toFixed(3).padStart(7)}  ${comparison.baselineThroughputPerSec.toFixed(0).padStart(12)}  ` +
      `${comparison.candidateThroughputPerSec.toFixed(0).padStart(12)}  ${comparison.throughputRatio.toFixed(3).padStart(9)}`,
  );
  return lines.join('\n');
}
