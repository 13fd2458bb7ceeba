/**
 * The router's upstream clients (`--upstream-client http2|grpc-js|connect`) measured against
 * each other and against the pass-through proxy, in rotating rounds: every round measures
 * every side once, each round starting one side later, so the machine's drift falls on all
 * sides alike (as in paired-comparison.ts, for more than two sides). Per side and round: the
 * CPU its own process (router or proxy) spent per request, read from /proc around the
 * measured run only, and the run's p50 and throughput. The figures are medians over rounds
 * of each round's values and of each round's ratios.
 */
import { type LoadResult, runLoad } from '../load-generator.js';
import { median } from '../paired-comparison.js';
import { formatTable } from '../report/table.js';
import { readProcessCpuMs } from '../servers/process-cpu.js';

/** The router's `--upstream-client` values the suite can start a router with. */
export const BENCH_UPSTREAM_CLIENTS = ['http2', 'grpc-js', 'connect'] as const;
export type BenchUpstreamClient = (typeof BENCH_UPSTREAM_CLIENTS)[number];

/** One side: where its load goes and which process's CPU is its cost. */
export interface ClientRoundSide {
  readonly label: string;
  /** Pid of the side's middle process (the router, or the proxy). */
  readonly pid: number;
  readonly call: () => Promise<void>;
}

/** One side's figures in one round. */
export interface ClientRoundFigures {
  readonly cpuMsPerRequest: number | undefined;
  readonly p50Ms: number;
  readonly throughputPerSec: number;
  readonly failed: number;
}

/** A side's medians over rounds; ratios against the baseline (the proxy) and the reference client. */
export interface ClientRoundSummary {
  readonly label: string;
  readonly cpuMsPerRequest: number;
  readonly p50Ms: number;
  readonly throughputPerSec: number;
  /** Median of this side's CPU per request over the baseline's, round by round. */
  readonly cpuVsBaseline: number;
  readonly p50VsBaseline: number;
  readonly throughputVsBaseline: number;
  /** Median of this side's CPU per request over the reference side's (the hand-written client). */
  readonly cpuVsReference: number;
}

/** A finished comparison at one concurrency. */
export interface ClientRoundsResult {
  /** What was compared, e.g. "upstream clients" (the heading of its table). */
  readonly title: string;
  readonly concurrency: number;
  readonly rounds: number;
  readonly baselineLabel: string;
  readonly referenceLabel: string;
  readonly perRound: readonly (readonly ClientRoundFigures[])[];
  readonly sides: readonly ClientRoundSummary[];
}

/** What to run. */
export interface ClientRoundsOptions {
  /** What is compared, e.g. "upstream clients" (the heading of its table). */
  readonly title: string;
  /** Sides; `sides[0]` is the baseline (the proxy). */
  readonly sides: readonly ClientRoundSide[];
  /** Index of the reference side in `sides` (the hand-written client). */
  readonly referenceIndex: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly onRound?: (index: number, figures: readonly ClientRoundFigures[]) => void;
}

/** Runs the rounds (see the file comment). */
export async function runClientRounds(options: ClientRoundsOptions): Promise<ClientRoundsResult> {
  const { sides, concurrency } = options;
  const perRound: ClientRoundFigures[][] = [];
  for (let round = 0; round < options.rounds; round++) {
    const figures: ClientRoundFigures[] = new Array(sides.length);
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length;
      const side = sides[i]!;
      // Warm-up apart from the measured run, so the CPU read covers the measured requests only.
      await runLoad({ call: side.call, concurrency, durationMs: options.warmupMs });
      const before = readProcessCpuMs(side.pid);
      const load: LoadResult = await runLoad({
        call: side.call,
        concurrency,
        durationMs: options.durationMs,
      });
      const after = readProcessCpuMs(side.pid);
      const failed = Object.values(load.errors).reduce((a, b) => a + b, 0);
      figures[i] = {
        cpuMsPerRequest:
          before === undefined || after === undefined || load.completed === 0
            ? undefined
            : (after - before) / load.completed,
        p50Ms: load.latency.p50Ms,
        throughputPerSec: load.throughputPerSec,
        failed,
      };
    }
    perRound.push(figures);
    options.onRound?.(round, figures);
  }
  const per = (f: (r: readonly ClientRoundFigures[]) => number) => median(perRound.map(f));
  const cpu = (f: ClientRoundFigures) => f.cpuMsPerRequest ?? Number.NaN;
  return {
    title: options.title,
    concurrency,
    rounds: options.rounds,
    baselineLabel: sides[0]!.label,
    referenceLabel: sides[options.referenceIndex]!.label,
    perRound,
    sides: sides.map((side, i) => ({
      label: side.label,
      cpuMsPerRequest: per((r) => cpu(r[i]!)),
      p50Ms: per((r) => r[i]!.p50Ms),
      throughputPerSec: per((r) => r[i]!.throughputPerSec),
      cpuVsBaseline: per((r) => cpu(r[i]!) / cpu(r[0]!)),
      p50VsBaseline: per((r) => r[i]!.p50Ms / r[0]!.p50Ms),
      throughputVsBaseline: per((r) => r[i]!.throughputPerSec / r[0]!.throughputPerSec),
      cpuVsReference: per((r) => cpu(r[i]!) / cpu(r[options.referenceIndex]!)),
    })),
  };
}

/** The comparison as a table of medians, one row per side. */
export function formatClientRounds(result: ClientRoundsResult): string {
  const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(3)}x` : 'n/a');
  const head =
    `${result.title}, c=${result.concurrency}, median over ${result.rounds} rotating rounds ` +
    `(CPU: the side's router or proxy process; "x proxy": against ${result.baselineLabel}; ` +
    `"x ref": against ${result.referenceLabel})`;
  return `${head}\n${formatTable(
    ['side', 'CPU ms/req', 'CPU x proxy', 'CPU x ref', 'p50 ms', 'p50 x proxy', 'infer/s', 'thr x proxy'],
    result.sides.map((s) => [
      s.label,
      Number.isFinite(s.cpuMsPerRequest) ? s.cpuMsPerRequest.toFixed(3) : 'n/a',
      x(s.cpuVsBaseline),
      x(s.cpuVsReference),
      s.p50Ms.toFixed(3),
      x(s.p50VsBaseline),
      s.throughputPerSec.toFixed(0),
      x(s.throughputVsBaseline),
    ]),
  )}`;
}
