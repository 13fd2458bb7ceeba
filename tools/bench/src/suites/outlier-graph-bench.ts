/**
 * The outlier suite's detector-node part (issue 11): what a synchronous outlier detector
 * node adds to the iris graph. One router serves two graphs from one model-server: the
 * 1-hop iris graph (`bench-1-hop`) and the same model node behind a sync detector node
 * (`bench-detector-1-hop`) that calls the outlier service's Predict with an Isolation
 * Forest (100 trees, subsample 256, threshold at the reference's 95th percentile) and adds
 * its verdict to the response. Each server is a child process of its own. The two graphs
 * are measured in paired rounds (alternating order, median over rounds) at concurrency 1
 * (the added p50) and 32 (the throughput ratio), with the same client and request.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSignature } from '../models/in-process-onnx.js';
import { newestOnnxFile } from '../models/model-files.js';
import { sampleInput } from '../models/onnx-signature.js';
import {
  DEFAULT_PAIRED_DURATION_MS,
  DEFAULT_PAIRED_ROUNDS,
  PAIRED_WARMUP_MS,
  type PairedComparison,
  type PairedRound,
  runPaired,
} from '../paired-comparison.js';
import { check, type RatioCheck } from '../report/ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startModelServer } from '../servers/model-server-process.js';
import { startOutlierProcess } from '../servers/outlier-process.js';
import { startRouterProcess } from '../servers/router-process.js';
import { encodeInferRequest, V2ClientPool } from '../v2-client.js';
import { fitBenchDetector, irisLikeRows, OUTLIER_BENCH_DETECTOR } from './outlier-bench-detector.js';
import {
  DETECTOR_GRAPH_NAME,
  detectorGraphDocument,
  hopGraphDocument,
  hopGraphName,
} from './router-graphs.js';
import { CPU_SAMPLE_CONCURRENCY, CPU_SAMPLE_REQUESTS, sampleCpu } from './router-suite.js';

/** The concurrencies and targets. */
export const OUTLIER_GRAPH_BENCH = {
  lowConcurrency: 1,
  highConcurrency: 32,
  /** Detector graph p50 minus plain graph p50 at c=1: at most this, ms. */
  targetAddedP50MsMax: 0.5,
  /** Detector graph throughput over plain graph throughput at c=32: at least this. */
  targetThroughputRatioMin: 0.7,
  /**
   * Whole paired rounds run and left out before the measured ones. Four processes start cold
   * here (router, model-server, outlier service, the bench); with the suite's default of 2,
   * both graphs' c=1 p50 still fell over the first measured rounds (plain 1.8 -> 1.3 ms, the
   * detector graph's added p50 0.7-0.95 ms in rounds 1-2 and 0.02-0.6 ms after, in all three
   * runs of 2026-12-05 01:22-01:27, docs/benchmarks.md): the medians mixed warm-up into a
   * steady-state figure.
   */
  warmupRounds: 5,
} as const;

/** How a run goes. */
export interface OutlierGraphBenchOptions {
  readonly workspaceRoot: string;
  readonly modelsDir: string;
  readonly group: ChildProcessGroup;
  readonly channels: number;
  readonly rounds?: number;
  readonly durationMs?: number;
  readonly onRound?: (label: string, index: number, round: PairedRound) => void;
}

/** The figures of one run. */
export interface OutlierGraphBenchResult {
  /** c=1: detector graph against the plain graph. */
  readonly low: PairedComparison;
  /** c=32: the same pair. */
  readonly high: PairedComparison;
  /** The verdict parameters of one answer of the detector graph (a check that it ran). */
  readonly verdict: Readonly<Record<string, string | number | boolean>>;
  readonly threshold: number;
  /**
   * CPU ms per request of each process (router, model-server, outlier) for the plain and
   * the detector graph, over the router suite's CPU sample; undefined where /proc could not
   * be read. Less swayed by other load on the machine than latency.
   */
  readonly cpuMsPerRequest?: {
    readonly plain: Readonly<Record<string, number>>;
    readonly detector: Readonly<Record<string, number>>;
  };
}

const IRIS = 'iris';

/** Starts the servers, fits the detector, checks one verdict and measures both pairs. */
export async function runOutlierGraphBench(
  options: OutlierGraphBenchOptions,
): Promise<OutlierGraphBenchResult> {
  const c = OUTLIER_GRAPH_BENCH;
  const irisFile = newestOnnxFile(options.modelsDir, IRIS);
  if (!irisFile) throw new Error(`no ${IRIS} ONNX model under ${join(options.modelsDir, IRIS)}`);
  const signature = await readSignature(irisFile);
  const scratch = mkdtempSync(join(tmpdir(), 'sightline-bench-outlier-graph-'));
  const started: { child: Parameters<ChildProcessGroup['stop']>[0] }[] = [];
  try {
    const modelServer = await startModelServer(options.group, {
      workspaceRoot: options.workspaceRoot,
      repository: options.modelsDir,
      models: [IRIS],
    });
    started.push(modelServer);
    const outlier = await startOutlierProcess(options.group, { dataDir: join(scratch, 'outlier') });
    started.push(outlier);
    const threshold = await fitBenchDetector(
      outlier.client,
      irisLikeRows(OUTLIER_BENCH_DETECTOR.referenceRows, OUTLIER_BENCH_DETECTOR.seed),
    );
    outlier.client.close();

    const model = {
      modelName: IRIS,
      inputName: signature.inputName,
      inputShape: signature.inputShape,
      outputName: signature.outputName,
      outputShape: signature.outputShape,
    };
    const graphsDir = join(scratch, 'graphs');
    mkdirSync(graphsDir);
    const plainGraph = hopGraphName(1);
    const documents = [hopGraphDocument(1, model), detectorGraphDocument(model, OUTLIER_BENCH_DETECTOR.name)];
    for (const document of documents) {
      writeFileSync(
        join(graphsDir, `${String(document.name)}.json`),
        `${JSON.stringify(document, null, 2)}\n`,
      );
    }
    const router = await startRouterProcess(options.group, {
      workspaceRoot: options.workspaceRoot,
      graphsDir,
      defaultModelServer: modelServer.address,
      dataDir: join(scratch, 'router'),
      events: true,
      graphs: [plainGraph, DETECTOR_GRAPH_NAME],
      outlierAddress: outlier.address,
      label: 'router (detector node)',
    });
    started.push(router);

    const pool = new V2ClientPool(router.address, options.channels);
    try {
      const input = [
        { name: signature.inputName, shape: signature.inputShape, data: sampleInput(signature.inputShape) },
      ];
      const plain = encodeInferRequest(plainGraph, input);
      const checked = encodeInferRequest(DETECTOR_GRAPH_NAME, input);
      const verdict = verdictOf(await pool.infer(checked));
      if (verdict[`sightline.${OUTLIER_BENCH_DETECTOR.name}.is_outlier`] === undefined) {
        throw new Error(`graph ${DETECTOR_GRAPH_NAME}: the answer has no verdict parameters`);
      }
      const pair = (concurrency: number) =>
        runPaired({
          id: `outlier-detector-node-c${concurrency}`,
          baseline: { label: `graph ${plainGraph}`, call: () => pool.inferRaw(plain).then(() => {}) },
          candidate: {
            label: `graph ${DETECTOR_GRAPH_NAME}`,
            call: () => pool.inferRaw(checked).then(() => {}),
          },
          concurrency,
          rounds: options.rounds ?? DEFAULT_PAIRED_ROUNDS,
          durationMs: options.durationMs ?? DEFAULT_PAIRED_DURATION_MS,
          warmupMs: PAIRED_WARMUP_MS,
          warmupRounds: c.warmupRounds,
          onRound: (index, round) => options.onRound?.(`detector node c=${concurrency}`, index, round),
        });
      const low = await pair(c.lowConcurrency);
      const high = await pair(c.highConcurrency);
      const processes = [
        { name: 'router', pid: router.child.pid },
        { name: 'model-server', pid: modelServer.child.pid },
        { name: 'outlier', pid: outlier.child.pid },
      ];
      const cpuPlain = await sampleCpu(router.address, plain, options.channels, processes);
      const cpuDetector = await sampleCpu(router.address, checked, options.channels, processes);
      return {
        low,
        high,
        verdict,
        threshold,
        ...(cpuPlain && cpuDetector && { cpuMsPerRequest: { plain: cpuPlain, detector: cpuDetector } }),
      };
    } finally {
      pool.close();
    }
  } finally {
    for (const server of started.reverse()) await options.group.stop(server.child);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The `sightline.*` parameters of an answer other than the path and trace id, as plain values. */
function verdictOf(
  response: Awaited<ReturnType<V2ClientPool['infer']>>,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, p] of Object.entries(response.parameters)) {
    if (!key.startsWith(`sightline.${OUTLIER_BENCH_DETECTOR.name}.`)) continue;
    const value = p.boolParam ?? p.doubleParam ?? p.int64Param ?? p.stringParam;
    if (value !== undefined) out[key] = typeof value === 'bigint' ? Number(value) : value;
  }
  return out;
}

/** The report lines. */
export function formatOutlierGraph(r: OutlierGraphBenchResult): string {
  const verdict = Object.entries(r.verdict)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(4)) : v}`)
    .join(', ');
  return [
    `Detector node: graph ${DETECTOR_GRAPH_NAME} (sync outlier detector ${OUTLIER_BENCH_DETECTOR.name}, Isolation Forest ${OUTLIER_BENCH_DETECTOR.trees} trees, threshold ${r.threshold.toFixed(4)}, then iris) against ${hopGraphName(1)} on one router, each server its own process:`,
    `  one answer's verdict: ${verdict}`,
    `  c=${r.low.concurrency}: p50 ${r.low.baselineP50Ms.toFixed(3)} -> ${r.low.candidateP50Ms.toFixed(3)} ms, added p50 ${r.low.p50AddedMs.toFixed(3)} ms (median of ${r.low.rounds} paired rounds)`,
    `  c=${r.high.concurrency}: ${r.high.baselineThroughputPerSec.toFixed(0)} -> ${r.high.candidateThroughputPerSec.toFixed(0)} infer/s, throughput ratio ${r.high.throughputRatio.toFixed(3)}x; added p50 ${r.high.p50AddedMs.toFixed(3)} ms`,
    formatCpu(r.cpuMsPerRequest),
  ].join('\n');
}

function formatCpu(cpu: OutlierGraphBenchResult['cpuMsPerRequest']): string {
  const title = `  CPU ms per request (${CPU_SAMPLE_REQUESTS} requests at c=${CPU_SAMPLE_CONCURRENCY}), plain -> detector graph:`;
  if (!cpu) return `${title} n/a`;
  const parts = Object.keys(cpu.detector).map((name) => {
    const plain = cpu.plain[name] ?? 0;
    const detector = cpu.detector[name] ?? 0;
    return `${name} ${plain.toFixed(3)} -> ${detector.toFixed(3)} (+${(detector - plain).toFixed(3)})`;
  });
  const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((a, b) => a + b, 0);
  return `${title} ${parts.join(', ')}; all ${sum(cpu.plain).toFixed(3)} -> ${sum(cpu.detector).toFixed(3)}`;
}

/** The targets: added p50 at c=1 and the throughput ratio at c=32. */
export function outlierGraphChecks(r: OutlierGraphBenchResult): RatioCheck[] {
  const c = OUTLIER_GRAPH_BENCH;
  return [
    check(
      `detector node added p50, c=${r.low.concurrency} (paired rounds' median)`,
      r.low.p50AddedMs,
      'ms',
      '<=',
      c.targetAddedP50MsMax,
    ),
    check(
      `detector node graph / plain graph throughput, c=${r.high.concurrency}`,
      r.high.throughputRatio,
      'x',
      '>=',
      c.targetThroughputRatioMin,
    ),
  ];
}
