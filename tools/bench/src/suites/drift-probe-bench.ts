/**
 * The drift suite's probe part (issue 10, scoring off the event loop): how long `/healthz`
 * takes to answer while the service runs a big MMD Score, with scores on the event loop
 * (`--scoring-threads 0`, the behaviour before the scoring threads) and on the scoring
 * threads (the default), the two services side by side in the same run. A Kubernetes
 * liveness probe times out after 2 s by default: a probe that waits longer restarts the pod.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@sightline/stats';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { check, type RatioCheck } from '../report/ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startDriftProcess } from '../servers/drift-process.js';
import { httpStatus } from '../servers/readiness.js';

/** The hostile try's shape: the default 100 permutations on 2,500 x 32 took 2.4 s on the loop. */
export const DRIFT_PROBE_BENCH = {
  rows: 2_500,
  features: 32,
  permutations: 100,
  /** Pause between one probe's answer and the next probe. */
  probeIntervalMs: 20,
  /** Longest a probe is waited for (well past the 2 s probe timeout, so the figure is whole). */
  probeTimeoutMs: 30_000,
  /** Idle probes measured before the score, for the baseline. */
  idleProbes: 20,
  /** The Kubernetes probe's default timeout. */
  probeTimeoutTargetMs: 2_000,
  seed: 11,
} as const;

/** The figures of one side (one service). */
export interface ProbeSide {
  readonly scoringThreads: string;
  /** Median /healthz latency before the score, ms. */
  readonly idleP50Ms: number;
  /** Probes answered while the score ran. */
  readonly probes: number;
  /** Longest /healthz latency while the score ran, ms. */
  readonly maxMs: number;
  /** Median /healthz latency while the score ran, ms. */
  readonly p50Ms: number;
  /** The Score RPC's time, ms. */
  readonly scoreMs: number;
}

/** The figures of a run. */
export interface DriftProbeBenchResult {
  readonly onLoop: ProbeSide;
  readonly threaded: ProbeSide;
  /** onLoop.maxMs / threaded.maxMs. */
  readonly maxLatencyRatio: number;
}

function normalRows(rows: number, features: number, seed: number, shift: number): Float64Array {
  const random = seededRandom(seed);
  const data = new Float64Array(rows * features);
  for (let i = 0; i < data.length; i++) {
    // Box-Muller: enough for a benchmark's data.
    const u = Math.max(random.nextFloat(), 1e-12);
    data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextFloat()) + shift;
  }
  return data;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}

async function probe(url: string): Promise<number> {
  const start = performance.now();
  const status = await httpStatus(url, DRIFT_PROBE_BENCH.probeTimeoutMs);
  if (status !== 200) throw new Error(`GET ${url}: ${status ?? 'no answer'}`);
  return performance.now() - start;
}

async function side(group: ChildProcessGroup, scoringThreads: number | undefined): Promise<ProbeSide> {
  const c = DRIFT_PROBE_BENCH;
  const root = await mkdtemp(join(tmpdir(), 'sightline-drift-probe-'));
  const service = await startDriftProcess(group, {
    dataDir: join(root, 'drift'),
    eventsDir: root,
    ...(scoringThreads === undefined ? {} : { scoringThreads }),
  });
  try {
    const { client } = service;
    const tensor = (seed: number, shift: number) =>
      encodeTensorMessages(
        [createTensor('input', 'FP64', [c.rows, c.features], normalRows(c.rows, c.features, seed, shift))],
        'raw',
      );
    await client.createDetector({
      name: 'big-mmd',
      config: { mmd: { nPermutations: c.permutations, seed: 1 } },
    });
    await client.fit({ name: 'big-mmd', data: tensor(c.seed, 0) });
    const url = `${service.httpBase}/healthz`;
    const idle: number[] = [];
    for (let i = 0; i < c.idleProbes; i++) idle.push(await probe(url));
    const during: number[] = [];
    let done = false;
    const start = performance.now();
    const scored = client.score({ name: 'big-mmd', data: tensor(c.seed + 1, 0.05) }).finally(() => {
      done = true;
    });
    const scoreMs = scored.then(() => performance.now() - start);
    while (!done) {
      during.push(await probe(url));
      await new Promise((resolve) => setTimeout(resolve, c.probeIntervalMs));
    }
    await scored;
    return {
      scoringThreads: scoringThreads === undefined ? 'default' : String(scoringThreads),
      idleP50Ms: median(idle),
      probes: during.length,
      maxMs: Math.max(0, ...during),
      p50Ms: median(during),
      scoreMs: await scoreMs,
    };
  } finally {
    service.client.close();
    await group.stop(service.child);
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs the part: the service scoring on its event loop, then with its scoring threads. */
export async function runDriftProbeBench(options: {
  readonly group: ChildProcessGroup;
}): Promise<DriftProbeBenchResult> {
  const onLoop = await side(options.group, 0);
  const threaded = await side(options.group, undefined);
  return { onLoop, threaded, maxLatencyRatio: onLoop.maxMs / Math.max(threaded.maxMs, 1e-3) };
}

/** The part's report. */
export function formatDriftProbe(r: DriftProbeBenchResult): string {
  const c = DRIFT_PROBE_BENCH;
  const line = (label: string, s: ProbeSide) =>
    `  ${label} (--scoring-threads ${s.scoringThreads}): Score ${s.scoreMs.toFixed(0)} ms; /healthz idle p50 ${s.idleP50Ms.toFixed(1)} ms, during the score ${s.probes} probes, p50 ${s.p50Ms.toFixed(1)} ms, max ${s.maxMs.toFixed(1)} ms`;
  return [
    `Probe: /healthz answered while an MMD Score runs (${c.rows} x ${c.features} against ${c.rows} x ${c.features}, ${c.permutations} permutations), drift service in its own process:`,
    line('on the event loop', r.onLoop),
    line('on scoring threads', r.threaded),
    `  max /healthz latency during the score, event loop / threads: ${r.maxLatencyRatio.toFixed(1)}x`,
  ].join('\n');
}

/** The target: with scoring threads, no probe during the score waits past the probe timeout. */
export function driftProbeChecks(r: DriftProbeBenchResult): RatioCheck[] {
  return [
    check(
      'drift /healthz max latency during a big MMD Score, scoring threads (Kubernetes probe timeout)',
      r.threaded.maxMs,
      'ms',
      '<',
      DRIFT_PROBE_BENCH.probeTimeoutTargetMs,
    ),
  ];
}
