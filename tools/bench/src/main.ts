/**
 * `node dist/main.js [suite...] [--duration-ms N] [--json out.json]`: runs the benchmark
 * suites, prints machine facts, a results table and the targets with PASS/FAIL, and
 * writes every figure as JSON. Exits 1 when a target fails or a setup could not run.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DRIFT_PARTS,
  type DriftPart,
  METRICS_PARTS,
  type MetricsPart,
  OUTLIER_PARTS,
  type OutlierPart,
  parseBenchArgs,
  type SuiteName,
  suiteDefaults,
  USAGE,
} from './cli-args.js';
import {
  formatIntegratedGradientsBench,
  integratedGradientsChecks,
  runIntegratedGradientsBench,
} from './explainer/integrated-gradients.js';
import { formatPaired, type PairedRound } from './paired-comparison.js';
import { formatCpuPerRequest, formatHopCosts } from './report/hop-table.js';
import { busyMachineWarning, readMachineFacts } from './report/machine-facts.js';
import { modelServerRatios, type RatioCheck } from './report/ratios.js';
import { routerHopCosts, routerRatios } from './report/router-ratios.js';
import { formatMachine, formatRatios, formatResults } from './report/table.js';
import { ChildProcessGroup } from './servers/child-process-group.js';
import {
  driftHistoryChecks,
  formatDriftHistory,
  runDriftHistoryBench,
} from './suites/drift-history-bench.js';
import { driftKsChecks, formatDriftKsBench, runDriftKsBench } from './suites/drift-ks-bench.js';
import { driftLiveChecks, formatDriftLive, runDriftLiveBench } from './suites/drift-live-bench.js';
import { driftMmdChecks, formatDriftMmd, runDriftMmdBench } from './suites/drift-mmd-bench.js';
import { driftOnlineChecks, formatDriftOnline, runDriftOnlineBench } from './suites/drift-online-bench.js';
import { driftProbeChecks, formatDriftProbe, runDriftProbeBench } from './suites/drift-probe-bench.js';
import {
  explainerServedChecks,
  formatExplainerServed,
  runExplainerServedBench,
} from './suites/explainer-served-bench.js';
import {
  explainerShapChecks,
  formatExplainerShap,
  runExplainerShapBench,
} from './suites/explainer-shap-bench.js';
import type { MetricsBackend } from './suites/metrics-backends.js';
import {
  formatMetricsJoins,
  metricsJoinsChecks,
  runMetricsJoinsBench,
} from './suites/metrics-joins-bench.js';
import {
  formatMetricsKernels,
  metricsKernelsChecks,
  runMetricsKernelsBench,
} from './suites/metrics-kernels-bench.js';
import {
  formatMetricsQuery,
  metricsQueryChecks,
  runMetricsQueryBench,
} from './suites/metrics-query-bench.js';
import {
  MODEL_SERVER_SETUPS,
  type ModelServerSetupId,
  runModelServerSuite,
} from './suites/model-server-suite.js';
import {
  formatOutlierGraph,
  outlierGraphChecks,
  runOutlierGraphBench,
} from './suites/outlier-graph-bench.js';
import {
  formatOutlierIforest,
  outlierIforestChecks,
  runOutlierIforestBench,
} from './suites/outlier-iforest-bench.js';
import { formatOutlierLive, outlierLiveChecks, runOutlierLiveBench } from './suites/outlier-live-bench.js';
import { formatRepositoryBench, repositoryChecks, runRepositoryBench } from './suites/repository-bench.js';
import { ROUTER_SETUPS, type RouterSetupId, runRouterSuite } from './suites/router-suite.js';
import type { SetupPoint, SetupResult } from './suites/setup-result.js';
import {
  type BenchUpstreamClient,
  type ClientRoundFigures,
  formatClientRounds,
} from './suites/upstream-client-rounds.js';
import { DEFAULT_CHANNELS } from './v2-client.js';
import { findWorkspaceRoot } from './workspace-root.js';

const print = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    print(USAGE);
    return 0;
  }
  const workspaceRoot = findWorkspaceRoot();
  const benchRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const group = new ChildProcessGroup();
  const uninstall = group.installExitHandlers();
  const machine = readMachineFacts();
  print(formatMachine(machine));
  const busy = busyMachineWarning(machine);
  if (busy) print(busy);
  let failed = false;
  try {
    for (const suite of args.suites) {
      const channels = args.channels ?? DEFAULT_CHANNELS;
      const defaults = suiteDefaults(suite);
      const config = {
        modelsDir: resolve(args.modelsDir ?? join(workspaceRoot, 'examples/models')),
        concurrencies: args.concurrencies ?? defaults.concurrencies,
        durationMs: args.durationMs ?? defaults.durationMs,
        warmupMs: args.warmupMs,
        channels,
        pairedRounds: args.pairedRounds,
        pairedDurationMs: args.pairedDurationMs,
      };
      print(
        suite === 'drift'
          ? '\nsuite drift: in-process statistics next to python3 (scipy/numpy), then the drift service ' +
              'over stored history and live POST /events next to the same work in process, in the same run\n'
          : suite === 'outlier'
            ? '\nsuite outlier: libs/stats kernels next to python3 (scikit-learn), then a sync detector node ' +
              'in the iris graph against the same graph without it, then live POST /events next to the ' +
              'same forest in process, in the same run\n'
            : suite === 'explainer'
              ? "\nsuite explainer: Kernel SHAP through the method's RowEvaluator over an in-process " +
                'onnxruntime session, next to exact Shapley enumeration on the same session; the same through a ' +
                'served explainer and model-server; Integrated Gradients on ' +
                'the shapes CNN next to forward passes of the same path; in the same run\n'
              : suite === 'metrics'
                ? '\nsuite metrics: durable feedback joins through group commit next to plain inserts, ' +
                  'the windowed query next to a recomputation from the pairs, and the metric kernels ' +
                  'next to python3 (scikit-learn), in the same run\n'
                : `\nsuite ${suite}: ${config.durationMs} ms per point after ${config.warmupMs} ms warm-up, ` +
                  `concurrency ${config.concurrencies.join('/')}, ${channels} gRPC channels per client, models ${config.modelsDir}\n`,
      );
      const onPoint = (id: string, p: SetupPoint) =>
        print(
          `  ${id} c=${p.concurrency}: ${p.throughputPerSec.toFixed(0)} infer/s, p50 ${p.latency.p50Ms.toFixed(3)} ms` +
            (p.meanExecutedBatch === undefined ? '' : `, mean batch ${p.meanExecutedBatch.toFixed(1)}`),
        );
      const onPairedRound = (label: string, index: number, r: PairedRound) =>
        print(
          `  paired ${label} round ${index + 1}: p50 ${r.baseline.latency.p50Ms.toFixed(3)} / ${r.candidate.latency.p50Ms.toFixed(3)} ms, ` +
            `${r.baseline.throughputPerSec.toFixed(0)} / ${r.candidate.throughputPerSec.toFixed(0)} infer/s`,
        );
      const onClientRound = (label: string, index: number, figures: readonly ClientRoundFigures[]) =>
        print(
          `  ${label} round ${index + 1}: CPU ms/req ` +
            figures
              .map((f) => (f.cpuMsPerRequest === undefined ? 'n/a' : f.cpuMsPerRequest.toFixed(3)))
              .join(' / ') +
            `, p50 ${figures.map((f) => f.p50Ms.toFixed(3)).join(' / ')} ms` +
            (figures.some((f) => f.failed > 0) ? `, failed ${figures.map((f) => f.failed).join(' / ')}` : ''),
        );
      const run = {
        ...config,
        onClientRound,
        ...(args.upstreamClients && { upstreamClients: args.upstreamClients }),
        ...(args.baselineTree && { baselineTree: args.baselineTree }),
        ...(args.driftHistoryEvents && { driftHistoryEvents: args.driftHistoryEvents }),
        ...(args.driftHistorySegmentBytes && { driftHistorySegmentBytes: args.driftHistorySegmentBytes }),
        ...(args.durationMs && { driftLiveDurationMs: args.durationMs }),
        ...(args.driftParts && { driftParts: args.driftParts }),
        ...(args.outlierParts && { outlierParts: args.outlierParts }),
        ...(args.metricsParts && { metricsParts: args.metricsParts }),
        ...(args.metricsBackends && { metricsBackends: args.metricsBackends }),
        ...(args.metricsJoinItems && { metricsJoinItems: args.metricsJoinItems }),
        ...(args.metricsKernelPairs && { metricsKernelPairs: args.metricsKernelPairs }),
        workspaceRoot,
        group,
        onPoint,
        onPairedRound,
        pairedRounds: args.pairedRounds,
        pairedDurationMs: args.pairedDurationMs,
      };
      const { setups, ratios, extra } = await runSuite(suite, run, args.setups);
      const table = setups.length > 0 ? `\n${formatResults(setups)}\n` : '';
      print(`${table}${extra.text ? `\n${extra.text}` : ''}\n\n${formatRatios(ratios)}`);
      const notBuilt = setups.find((s) => s.skipped?.startsWith('model-server not built'));
      if (notBuilt) print(`\n${notBuilt.skipped}`);
      const after = readMachineFacts();
      const busyAfter = busyMachineWarning(after);
      if (busyAfter) print(`\n${busyAfter} (at the end)`);
      const jsonPath = resolve(
        args.jsonPath ??
          join(benchRoot, 'results', `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
      );
      mkdirSync(dirname(jsonPath), { recursive: true });
      writeFileSync(
        jsonPath,
        `${JSON.stringify({ suite, machine, loadAverage1mAtEnd: after.loadAverage1m, config, setups, ratios, ...extra.json }, null, 2)}\n`,
      );
      print(`\nresults: ${jsonPath}`);
      failed ||= setups.some((s) => s.skipped) || ratios.some((r) => r.verdict !== 'PASS');
    }
  } finally {
    await group.stopAll();
    uninstall();
  }
  return failed ? 1 : 0;
}

/** What a suite run needs besides its own options. */
interface SuiteRun {
  readonly workspaceRoot: string;
  readonly group: ChildProcessGroup;
  readonly modelsDir: string;
  readonly concurrencies: readonly number[];
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly channels: number;
  readonly onPoint: (setupId: string, point: SetupPoint) => void;
  readonly pairedRounds: number;
  readonly pairedDurationMs: number;
  readonly onPairedRound: (label: string, index: number, round: PairedRound) => void;
  readonly upstreamClients?: readonly BenchUpstreamClient[];
  readonly baselineTree?: string;
  readonly onClientRound: (label: string, index: number, figures: readonly ClientRoundFigures[]) => void;
  /** Drift suite: events of the history part (its default when absent). */
  readonly driftHistoryEvents?: number;
  /** Drift suite: the history store's segment size (the store's default when absent). */
  readonly driftHistorySegmentBytes?: number;
  /** Drift and outlier suites: sending time of the live part (its default when absent). */
  readonly driftLiveDurationMs?: number;
  /** Drift suite: the parts to run (all when absent). */
  readonly driftParts?: readonly DriftPart[];
  /** Outlier suite: the parts to run (all when absent). */
  readonly outlierParts?: readonly OutlierPart[];
  /** Metrics suite: the parts to run (all when absent). */
  readonly metricsParts?: readonly MetricsPart[];
  /** Metrics suite: the joins part's stores (all when absent). */
  readonly metricsBackends?: readonly MetricsBackend[];
  /** Metrics suite: feedback items joined per store (the part's default when absent). */
  readonly metricsJoinItems?: number;
  /** Metrics suite: pairs of the kernels part (the part's default when absent). */
  readonly metricsKernelPairs?: number;
}

/** A suite's setups and checked targets, plus what only that suite reports. */
interface SuiteOutcome {
  readonly setups: readonly SetupResult[];
  readonly ratios: readonly RatioCheck[];
  readonly extra: { readonly text?: string; readonly json?: Record<string, unknown> };
}

async function runSuite(
  suite: SuiteName,
  run: SuiteRun,
  setupIds: readonly (ModelServerSetupId | RouterSetupId)[] | undefined,
): Promise<SuiteOutcome> {
  if (suite === 'drift') {
    // libs/stats kernels against scipy/numpy, then the service over history and live events.
    const parts = new Set<DriftPart>(run.driftParts ?? DRIFT_PARTS);
    // The 1-minute load average around each part: on a shared machine it explains a figure.
    const loads = [`start ${loadavg()[0]!.toFixed(2)}`];
    const loadAfter = (part: string) => loads.push(`after ${part} ${loadavg()[0]!.toFixed(2)}`);
    const ks = parts.has('ks') ? runDriftKsBench() : undefined;
    if (ks) loadAfter('KS');
    const mmd = parts.has('mmd') ? await runDriftMmdBench() : undefined;
    if (mmd) loadAfter('MMD');
    const online = parts.has('online') ? runDriftOnlineBench() : undefined;
    if (online) loadAfter('online');
    if (parts.has('history')) {
      print(
        '  drift history: writing the events, then ScoreHistory (up to its 120 s deadline; ~2.5 min at 1,000,000 events) ...',
      );
    }
    const history = parts.has('history')
      ? await runDriftHistoryBench({
          group: run.group,
          ...(run.driftHistoryEvents && { events: run.driftHistoryEvents }),
          ...(run.driftHistorySegmentBytes && { segmentMaxBytes: run.driftHistorySegmentBytes }),
        })
      : undefined;
    if (history) loadAfter('history');
    if (parts.has('live')) print('  drift live: POST /events ...');
    const live = parts.has('live')
      ? await runDriftLiveBench({
          group: run.group,
          ...(run.driftLiveDurationMs && { durationMs: run.driftLiveDurationMs }),
        })
      : undefined;
    if (live) loadAfter('live');
    if (parts.has('probe'))
      print('  drift probe: /healthz during a big MMD Score, on the event loop and on threads ...');
    const probe = parts.has('probe') ? await runDriftProbeBench({ group: run.group }) : undefined;
    if (probe) loadAfter('probe');
    return {
      setups: [],
      ratios: [
        ...(ks ? driftKsChecks(ks) : []),
        ...(mmd ? driftMmdChecks(mmd) : []),
        ...(online ? driftOnlineChecks(online) : []),
        ...(history ? driftHistoryChecks(history) : []),
        ...(live ? driftLiveChecks(live) : []),
        ...(probe ? driftProbeChecks(probe) : []),
      ],
      extra: {
        text: [
          ks && formatDriftKsBench(ks),
          mmd && formatDriftMmd(mmd),
          online && formatDriftOnline(online),
          history && formatDriftHistory(history),
          live && formatDriftLive(live),
          probe && formatDriftProbe(probe),
          `Load average (1 min) around the parts: ${loads.join(', ')}`,
        ]
          .filter((text) => text !== undefined)
          .join('\n'),
        json: { ks, mmd, online, history, live, probe, loads },
      },
    };
  }
  if (suite === 'outlier') {
    // The kernel against scikit-learn, then the service: a detector node in a graph, live events.
    const parts = new Set<OutlierPart>(run.outlierParts ?? OUTLIER_PARTS);
    const loads = [`start ${loadavg()[0]!.toFixed(2)}`];
    const loadAfter = (part: string) => loads.push(`after ${part} ${loadavg()[0]!.toFixed(2)}`);
    if (parts.has('iforest')) print('  outlier iforest: fit and score, ours then scikit-learn ...');
    const iforest = parts.has('iforest') ? runOutlierIforestBench() : undefined;
    if (iforest) loadAfter('iforest');
    if (parts.has('graph')) print('  outlier graph: sync detector node against the plain iris graph ...');
    const graph = parts.has('graph')
      ? await runOutlierGraphBench({
          workspaceRoot: run.workspaceRoot,
          modelsDir: run.modelsDir,
          group: run.group,
          channels: run.channels,
          ...(run.pairedRounds > 0 && { rounds: run.pairedRounds }),
          durationMs: run.pairedDurationMs,
          onRound: run.onPairedRound,
        })
      : undefined;
    if (graph) loadAfter('graph');
    if (parts.has('live')) print('  outlier live: POST /events ...');
    const live = parts.has('live')
      ? await runOutlierLiveBench({
          group: run.group,
          ...(run.driftLiveDurationMs && { durationMs: run.driftLiveDurationMs }),
        })
      : undefined;
    if (live) loadAfter('live');
    return {
      setups: [],
      ratios: [
        ...(iforest ? outlierIforestChecks(iforest) : []),
        ...(graph ? outlierGraphChecks(graph) : []),
        ...(live ? outlierLiveChecks(live) : []),
      ],
      extra: {
        text: [
          iforest && formatOutlierIforest(iforest),
          graph && formatOutlierGraph(graph),
          live && formatOutlierLive(live),
          `Load average (1 min) around the parts: ${loads.join(', ')}`,
        ]
          .filter((text) => text !== undefined)
          .join('\n\n'),
        json: { iforest, graph, live, loads },
      },
    };
  }
  if (suite === 'metrics') return runMetricsSuite(run);
  if (suite === 'repository') {
    print(
      '  repository: a 100 MB model uploaded to S3 (s3rver on loopback) until served, then download throughput ...',
    );
    const result = await runRepositoryBench((line) => print(line));
    return {
      setups: [],
      ratios: repositoryChecks(result),
      extra: { text: formatRepositoryBench(result), json: { repository: result } },
    };
  }
  if (suite === 'explainer') return runExplainerSuite(run);
  if (suite === 'router') {
    const ids = setupIds?.filter((id): id is RouterSetupId =>
      (ROUTER_SETUPS as readonly string[]).includes(id),
    );
    const result = await runRouterSuite({ ...run, ...(ids && { setups: ids }) });
    const hops = routerHopCosts(result.setups, run.concurrencies);
    const events = result.eventsBench
      ? `libs/events file-store benchmark:\n${result.eventsBench.lines.map((l) => `  ${l}`).join('\n')}`
      : `libs/events file-store benchmark: SKIPPED: ${result.eventsBenchSkipped ?? 'not run'}`;
    const paired = result.paired.map((p) => `\n\n${formatPaired(p)}`).join('');
    const clients = result.upstreamClientRoundsSkipped
      ? `\n\nupstream clients: SKIPPED: ${result.upstreamClientRoundsSkipped}`
      : (result.upstreamClientRounds ?? []).map((r) => `\n\n${formatClientRounds(r)}`).join('');
    const trees = result.baselineTreeRoundsSkipped
      ? `\n\nbaseline tree: SKIPPED: ${result.baselineTreeRoundsSkipped}`
      : (result.baselineTreeRounds ?? []).map((r) => `\n\n${formatClientRounds(r)}`).join('');
    return {
      setups: result.setups,
      ratios: routerRatios(result.setups, result.eventsBench, result.paired),
      extra: {
        text: `${formatHopCosts(hops)}\n\n${formatCpuPerRequest(result.setups)}${paired}${clients}${trees}\n\n${events}`,
        json: {
          hops,
          paired: result.paired,
          ...(result.upstreamClientRounds && { upstreamClientRounds: result.upstreamClientRounds }),
          ...(result.upstreamClientRoundsSkipped && {
            upstreamClientRoundsSkipped: result.upstreamClientRoundsSkipped,
          }),
          ...(result.baselineTreeRounds && { baselineTreeRounds: result.baselineTreeRounds }),
          ...(result.baselineTreeRoundsSkipped && {
            baselineTreeRoundsSkipped: result.baselineTreeRoundsSkipped,
          }),
          eventsBench: result.eventsBench ?? { skipped: result.eventsBenchSkipped },
        },
      },
    };
  }
  const ids = setupIds?.filter((id): id is ModelServerSetupId =>
    (MODEL_SERVER_SETUPS as readonly string[]).includes(id),
  );
  const result = await runModelServerSuite({ ...run, ...(ids && { setups: ids }) });
  const paired = result.paired.map(formatPaired).join('\n\n');
  return {
    setups: result.setups,
    ratios: modelServerRatios(result.setups, result.paired),
    extra: {
      text: result.pairedSkipped ? `paired comparisons: SKIPPED: ${result.pairedSkipped}` : paired,
      json: { paired: result.paired, ...(result.pairedSkipped && { pairedSkipped: result.pairedSkipped }) },
    },
  };
}

/**
 * The explainer suite (issue 13): Kernel SHAP in process next to exact enumeration, then
 * Integrated Gradients on the shapes CNN next to forward passes of the same path.
 */
async function runExplainerSuite(run: SuiteRun): Promise<SuiteOutcome> {
  const loads = [`start ${loadavg()[0]!.toFixed(2)}`];
  print('  explainer shap: Kernel SHAP and exact Shapley values on shap-linear ...');
  const shap = await runExplainerShapBench({ modelsDir: run.modelsDir });
  loads.push(`after shap ${loadavg()[0]!.toFixed(2)}`);
  print(
    '  explainer served: the same Kernel SHAP through an explainer and a model-server, each its own process ...',
  );
  const served = await runExplainerServedBench({
    workspaceRoot: run.workspaceRoot,
    modelsDir: run.modelsDir,
    group: run.group,
    inProcess: shap,
  });
  loads.push(`after served ${loadavg()[0]!.toFixed(2)}`);
  // The shapes CNN is trained by `npm run models -- shapes`; without it the IG part is skipped, said so.
  const shapesModel = join(run.modelsDir, 'shapes', '1', 'model.json');
  const igSkipped = existsSync(shapesModel) ? undefined : `no ${shapesModel} (npm run models -- shapes)`;
  if (!igSkipped)
    print('  explainer ig: Integrated Gradients on the shapes CNN, then forward passes of the same path ...');
  const ig = igSkipped ? undefined : await runIntegratedGradientsBench(run.modelsDir);
  if (ig) loads.push(`after ig ${loadavg()[0]!.toFixed(2)}`);
  return {
    setups: [],
    ratios: [
      ...explainerShapChecks(shap),
      ...explainerServedChecks(served),
      ...(ig ? integratedGradientsChecks(ig) : []),
    ],
    extra: {
      text: [
        formatExplainerShap(shap),
        formatExplainerServed(served),
        ig ? formatIntegratedGradientsBench(ig) : `Integrated Gradients: SKIPPED: ${igSkipped}`,
        `Load average (1 min) around the parts: ${loads.join(', ')}`,
      ].join('\n\n'),
      json: { shap, served, ...(ig ? { ig } : { igSkipped }), loads },
    },
  };
}

/** The metrics suite (issue 12): joins on each store, the windowed query, the kernels. */
async function runMetricsSuite(run: SuiteRun): Promise<SuiteOutcome> {
  const parts = new Set<MetricsPart>(run.metricsParts ?? METRICS_PARTS);
  const loads = [`start ${loadavg()[0]!.toFixed(2)}`];
  const loadAfter = (part: string) => loads.push(`after ${part} ${loadavg()[0]!.toFixed(2)}`);
  if (parts.has('joins'))
    print('  metrics joins: concurrent single-item feedback through group commit, then plain inserts ...');
  const joins = parts.has('joins')
    ? await runMetricsJoinsBench({
        ...(run.metricsBackends && { backends: run.metricsBackends }),
        ...(run.metricsJoinItems && { items: run.metricsJoinItems }),
      })
    : undefined;
  if (joins) loadAfter('joins');
  if (parts.has('query'))
    print('  metrics query: a day of 100,000 pairs, minute buckets, hourly roll-ups, recomputation ...');
  const query = parts.has('query') ? runMetricsQueryBench() : undefined;
  if (query) loadAfter('query');
  if (parts.has('kernels')) print('  metrics kernels: ours, then scikit-learn ...');
  const kernels = parts.has('kernels')
    ? runMetricsKernelsBench({ ...(run.metricsKernelPairs && { pairs: run.metricsKernelPairs }) })
    : undefined;
  if (kernels) loadAfter('kernels');
  return {
    setups: [],
    ratios: [
      ...(joins ? metricsJoinsChecks(joins) : []),
      ...(query ? metricsQueryChecks(query) : []),
      ...(kernels ? metricsKernelsChecks(kernels) : []),
    ],
    extra: {
      text: [
        joins && formatMetricsJoins(joins),
        query && formatMetricsQuery(query),
        kernels && formatMetricsKernels(kernels),
        `Load average (1 min) around the parts: ${loads.join(', ')}`,
      ]
        .filter((text) => text !== undefined)
        .join('\n\n'),
      json: { joins, query, kernels, loads },
    },
  };
}

process.exitCode = await main();
