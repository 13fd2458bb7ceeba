import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PAIRED_DURATION_MS, DEFAULT_PAIRED_ROUNDS } from './paired-comparison.js';
import { METRICS_BACKENDS, type MetricsBackend } from './suites/metrics-backends.js';
import { MODEL_SERVER_SETUPS, type ModelServerSetupId } from './suites/model-server-suite.js';
import { ROUTER_SETUPS, type RouterSetupId } from './suites/router-suite.js';
import { BENCH_UPSTREAM_CLIENTS, type BenchUpstreamClient } from './suites/upstream-client-rounds.js';

/** Suites the CLI knows. */
export const SUITES = [
  'model-server',
  'router',
  'drift',
  'outlier',
  'metrics',
  'explainer',
  'repository',
] as const;
/** The drift suite's parts, in the order they run. */
export const DRIFT_PARTS = ['ks', 'mmd', 'online', 'history', 'live', 'probe'] as const;
/** One part of the drift suite. */
export type DriftPart = (typeof DRIFT_PARTS)[number];

/** The outlier suite's parts: the kernel against scikit-learn, the detector node, live POST /events. */
export const OUTLIER_PARTS = ['iforest', 'graph', 'live'] as const;
/** One part of the outlier suite. */
export type OutlierPart = (typeof OUTLIER_PARTS)[number];
/** The metrics suite's parts: durable feedback joins, the windowed query, the kernels against scikit-learn. */
export const METRICS_PARTS = ['joins', 'query', 'kernels'] as const;
/** One part of the metrics suite. */
export type MetricsPart = (typeof METRICS_PARTS)[number];
export type SuiteName = (typeof SUITES)[number];

/** Measured time per point by default: long enough for a stable p99 at low throughput. */
export const DEFAULT_DURATION_MS = 5_000;
/** Unmeasured warm-up before each point. */
export const DEFAULT_WARMUP_MS = 1_000;
export const DEFAULT_CONCURRENCIES: readonly number[] = [1, 16, 64];
/**
 * The router suite's defaults: the concurrencies 1 and 32, and shorter points so
 * its six setups, three server starts and the events benchmark stay within ~3 minutes.
 */
export const ROUTER_DEFAULT_DURATION_MS = 4_000;
export const ROUTER_DEFAULT_CONCURRENCIES: readonly number[] = [1, 32];

/** Every suite's setup ids; `--setups` takes any of them, each suite runs its own. */
const ALL_SETUPS: readonly string[] = [...MODEL_SERVER_SETUPS, ...ROUTER_SETUPS];

/** A suite's per-point defaults where the command line sets none. */
export function suiteDefaults(suite: SuiteName): { durationMs: number; concurrencies: readonly number[] } {
  return suite === 'router'
    ? { durationMs: ROUTER_DEFAULT_DURATION_MS, concurrencies: ROUTER_DEFAULT_CONCURRENCIES }
    : { durationMs: DEFAULT_DURATION_MS, concurrencies: DEFAULT_CONCURRENCIES };
}

/** The resolved command line. */
export interface BenchArgs {
  readonly suites: readonly SuiteName[];
  /** Undefined: the suite's default ({@link suiteDefaults}). */
  readonly durationMs: number | undefined;
  readonly warmupMs: number;
  /** Undefined: the suite's default ({@link suiteDefaults}). */
  readonly concurrencies: readonly number[] | undefined;
  readonly channels: number | undefined;
  /** Rounds of each paired comparison; 0 skips them (the targets then use the single points). */
  readonly pairedRounds: number;
  readonly pairedDurationMs: number;
  readonly setups: readonly (ModelServerSetupId | RouterSetupId)[] | undefined;
  /** Where to write the JSON results (default: tools/bench/results/<suite>-<timestamp>.json). */
  readonly jsonPath: string | undefined;
  /** Model repository (default: examples/models). */
  readonly modelsDir: string | undefined;
  /** Router suite: upstream clients to compare in rotating rounds (default: none). */
  readonly upstreamClients: readonly BenchUpstreamClient[] | undefined;
  /** Router suite: another built checkout whose router is compared with this one's. */
  readonly baselineTree: string | undefined;
  /** Drift suite: events stored for the history part (default its 1,000,000). */
  readonly driftHistoryEvents: number | undefined;
  /** Drift suite: the history store's segment size in bytes (default the store's, 64 MiB). */
  readonly driftHistorySegmentBytes: number | undefined;
  /** Drift suite: the parts to run (default all of {@link DRIFT_PARTS}). */
  readonly driftParts: readonly DriftPart[] | undefined;
  /** Outlier suite: the parts to run (default all of {@link OUTLIER_PARTS}). */
  readonly outlierParts: readonly OutlierPart[] | undefined;
  /** Metrics suite: the parts to run (default all of {@link METRICS_PARTS}). */
  readonly metricsParts: readonly MetricsPart[] | undefined;
  /** Metrics suite: the stores of the joins part (default all of {@link METRICS_BACKENDS}). */
  readonly metricsBackends: readonly MetricsBackend[] | undefined;
  /** Metrics suite: feedback items joined per store (default the joins part's 20,000). */
  readonly metricsJoinItems: number | undefined;
  /** Metrics suite: pairs of the kernels part (default 1,000,000). */
  readonly metricsKernelPairs: number | undefined;
  readonly help: boolean;
}

export const USAGE = `usage: node dist/main.js [suite...] [options]
suites: ${SUITES.join(', ')} (default: model-server)
options:
  --duration-ms N       measured time per point (default ${DEFAULT_DURATION_MS}; router ${ROUTER_DEFAULT_DURATION_MS})
  --warmup-ms N         unmeasured warm-up per point (default ${DEFAULT_WARMUP_MS})
  --concurrency a,b,c   closed-loop workers per point (default ${DEFAULT_CONCURRENCIES.join(',')}; router ${ROUTER_DEFAULT_CONCURRENCIES.join(',')})
  --channels N          gRPC connections per client (default 4)
  --paired-rounds N     alternating rounds of each paired comparison behind the targets
                        (default ${DEFAULT_PAIRED_ROUNDS}; 0 skips them and the targets use the single points)
  --paired-duration-ms N  measured time per side per round (default ${DEFAULT_PAIRED_DURATION_MS})
  --setups x,y          only these setups: ${MODEL_SERVER_SETUPS.join(', ')}
                        (router: ${ROUTER_SETUPS.join(', ')})
  --models-dir DIR      model repository (default examples/models)
  --upstream-clients x,y  router suite: also start one router per upstream client (${BENCH_UPSTREAM_CLIENTS.join(', ')})
                        and compare their CPU per request, p50 and throughput with the proxy's in
                        --paired-rounds rotating rounds of --paired-duration-ms at c=1 and c=32
                        (env SIGHTLINE_BENCH_UPSTREAM_CLIENTS when the flag is absent)
  --baseline-tree DIR   router suite: also compare this checkout's router with the one built in DIR
                        (e.g. a git worktree of an older commit), events off and on, in --paired-rounds
                        rotating rounds with the proxy at c=1 and c=32 ("x ref" = this / DIR's)
  --drift-history-events N  drift suite: events stored and scored by the history part (default 1000000;
                        the drift suite's live part sends for --duration-ms when given, else 10 s)
  --drift-history-segment-bytes N  drift suite: segment size of the history's event store
                        (default the store's 64 MiB, as the router writes; a diagnostic)
  --drift-parts x,y     drift suite: only these parts (${DRIFT_PARTS.join(', ')}; default all)
  --outlier-parts x,y   outlier suite: only these parts (${OUTLIER_PARTS.join(', ')}; default all; the live
                        part sends for --duration-ms when given, else 10 s)
  --metrics-parts x,y   metrics suite: only these parts (${METRICS_PARTS.join(', ')}; default all)
  --metrics-backends x,y  metrics suite: the joins part's stores (${METRICS_BACKENDS.join(', ')}; default all)
  --metrics-join-items N  metrics suite: feedback items joined per store (default 20000)
  --metrics-kernel-pairs N  metrics suite: pairs of the kernels part (default 1000000)
  explainer suite: Kernel SHAP on shap-linear in process next to exact enumeration, then served (explainer -> model-server), then IG on the shapes CNN (from --models-dir)
  --json FILE           write results here (default tools/bench/results/<suite>-<timestamp>.json)`;

/** Parses and validates argv; throws with a message naming the flag and the rule. */
export function parseBenchArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'duration-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      concurrency: { type: 'string' },
      channels: { type: 'string' },
      'paired-rounds': { type: 'string' },
      'paired-duration-ms': { type: 'string' },
      setups: { type: 'string' },
      'models-dir': { type: 'string' },
      'upstream-clients': { type: 'string' },
      'baseline-tree': { type: 'string' },
      'drift-history-events': { type: 'string' },
      'drift-history-segment-bytes': { type: 'string' },
      'drift-parts': { type: 'string' },
      'outlier-parts': { type: 'string' },
      'metrics-parts': { type: 'string' },
      'metrics-backends': { type: 'string' },
      'metrics-join-items': { type: 'string' },
      'metrics-kernel-pairs': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  for (const suite of positionals) {
    if (!(SUITES as readonly string[]).includes(suite)) {
      throw new Error(`suite "${suite}": unknown; expected one of ${SUITES.join(', ')}`);
    }
  }
  const setups = values.setups?.split(',').map((s) => s.trim());
  for (const setup of setups ?? []) {
    if (!ALL_SETUPS.includes(setup)) {
      throw new Error(`--setups: unknown setup "${setup}"; expected some of ${ALL_SETUPS.join(', ')}`);
    }
  }
  const driftParts = values['drift-parts']?.split(',').map((s) => s.trim());
  for (const part of driftParts ?? []) {
    if (!(DRIFT_PARTS as readonly string[]).includes(part)) {
      throw new Error(`--drift-parts: unknown part "${part}"; expected some of ${DRIFT_PARTS.join(', ')}`);
    }
  }
  const outlierParts = values['outlier-parts']?.split(',').map((s) => s.trim());
  for (const part of outlierParts ?? []) {
    if (!(OUTLIER_PARTS as readonly string[]).includes(part)) {
      throw new Error(
        `--outlier-parts: unknown part "${part}"; expected some of ${OUTLIER_PARTS.join(', ')}`,
      );
    }
  }
  const metricsParts = listOf('--metrics-parts', values['metrics-parts'], METRICS_PARTS);
  const metricsBackends = listOf('--metrics-backends', values['metrics-backends'], METRICS_BACKENDS);
  const clientsText = values['upstream-clients'] ?? env.SIGHTLINE_BENCH_UPSTREAM_CLIENTS;
  const upstreamClients = clientsText?.split(',').map((c) => c.trim());
  for (const client of upstreamClients ?? []) {
    if (!(BENCH_UPSTREAM_CLIENTS as readonly string[]).includes(client)) {
      throw new Error(
        `--upstream-clients: unknown client "${client}"; expected some of ${BENCH_UPSTREAM_CLIENTS.join(', ')}`,
      );
    }
  }
  return {
    suites: positionals.length > 0 ? (positionals as SuiteName[]) : ['model-server'],
    durationMs: positiveInt('--duration-ms', values['duration-ms']),
    warmupMs: nonNegativeInt('--warmup-ms', values['warmup-ms']) ?? DEFAULT_WARMUP_MS,
    concurrencies: values.concurrency?.split(',').map((c) => positiveInt('--concurrency', c)!),
    channels: positiveInt('--channels', values.channels),
    pairedRounds: nonNegativeInt('--paired-rounds', values['paired-rounds']) ?? DEFAULT_PAIRED_ROUNDS,
    pairedDurationMs:
      positiveInt('--paired-duration-ms', values['paired-duration-ms']) ?? DEFAULT_PAIRED_DURATION_MS,
    setups: setups as (ModelServerSetupId | RouterSetupId)[] | undefined,
    jsonPath: values.json,
    modelsDir: values['models-dir'],
    upstreamClients: upstreamClients as BenchUpstreamClient[] | undefined,
    baselineTree: values['baseline-tree'] && resolve(values['baseline-tree']),
    driftHistoryEvents: positiveInt('--drift-history-events', values['drift-history-events']),
    driftHistorySegmentBytes: positiveInt(
      '--drift-history-segment-bytes',
      values['drift-history-segment-bytes'],
    ),
    driftParts: driftParts as DriftPart[] | undefined,
    outlierParts: outlierParts as OutlierPart[] | undefined,
    metricsParts,
    metricsBackends,
    metricsJoinItems: positiveInt('--metrics-join-items', values['metrics-join-items']),
    metricsKernelPairs: positiveInt('--metrics-kernel-pairs', values['metrics-kernel-pairs']),
    help: values.help ?? false,
  };
}

/** A comma-separated subset of `known`, or undefined when the flag is absent. */
function listOf<T extends string>(
  flag: string,
  text: string | undefined,
  known: readonly T[],
): T[] | undefined {
  const items = text?.split(',').map((s) => s.trim());
  for (const item of items ?? []) {
    if (!(known as readonly string[]).includes(item)) {
      throw new Error(`${flag}: unknown value "${item}"; expected some of ${known.join(', ')}`);
    }
  }
  return items as T[] | undefined;
}

function positiveInt(flag: string, text: string | undefined): number | undefined {
  const value = nonNegativeInt(flag, text);
  if (value === 0) throw new Error(`${flag}: expected a positive integer, got ${text}`);
  return value;
}

function nonNegativeInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  if (!(Number.isInteger(value) && value >= 0) || text.trim() === '') {
    throw new Error(`${flag}: expected a non-negative integer, got "${text}"`);
  }
  return value;
}
