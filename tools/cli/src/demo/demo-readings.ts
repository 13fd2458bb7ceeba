/**
 * What the services saw, read through the SDK once the asynchronous consumers caught up:
 * drift windows, metrics per phase, the shadow's comparison, an explanation, a trace. Each
 * reader of the last three answers its part, or a sentence saying why it has none.
 */
import { NotFoundError, type Sightline, type WindowMetrics } from '@sightline/sdk';
import { createTensor } from '@sightline/tensor';
import { IRIS_CLASSES, IRIS_COLUMNS, type IrisData, seededRandom } from './demo-data.js';
import type { DemoOptions } from './demo-options.js';
import {
  type DemoDriftWindow,
  type DemoOutcome,
  PHASE_PARAMETER,
  PHASES,
  type Phase,
  type ReplayedRow,
} from './demo-outcome.js';

/** How often the demo asks a consumer whether it has caught up, ms. */
export const POLL_INTERVAL_MS = 250;
/** Background rows the explanation draws on (a seeded sample of the data set). */
export const EXPLANATION_BACKGROUND_ROWS = 50;
/** The services one request's trace crosses (their OpenTelemetry service names). */
export const TRACED_SERVICES = ['sightline-router', 'sightline-model-server', 'sightline-outlier'] as const;
/** How far past now a window read reaches, ms (its buckets are whole minutes). */
const WINDOW_END_MARGIN_MS = 60_000;

/** The metrics service's bucket: a window read from a time starts at that time's whole minute. */
export const METRICS_BUCKET_MS = 60_000;

/** Milliseconds from `nowMs` to the start of the next metrics bucket (1 to 60000). */
export function msToNextBucket(nowMs: number): number {
  return METRICS_BUCKET_MS - (nowMs % METRICS_BUCKET_MS);
}

/** Whether the graph's phase windows of the current minute already hold predictions (an earlier demo's). */
export async function phasesBusySince(
  sightline: Sightline,
  options: DemoOptions,
  from: Date,
  signal?: AbortSignal,
): Promise<boolean> {
  const windows = await readPhaseWindows(sightline, options, from, () => true, signal);
  return PHASES.some((phase) => (windows.get(phase)?.counts.predictions ?? 0) > 0);
}

/** Waits `ms`; rejects with the signal's reason as soon as `signal` aborts (Ctrl-C). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `probe` until it answers a value `done` accepts or `timeoutMs` passes; answers the
 * last value. Rejects once `signal` aborts (Ctrl-C), between probes.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(POLL_INTERVAL_MS, signal);
  }
}

/** The demo detector's live windows in time order, once `expected` closed or the settle time passed. */
export async function readDriftWindows(
  sightline: Sightline,
  options: DemoOptions,
  expected: number,
  signal?: AbortSignal,
): Promise<DemoDriftWindow[]> {
  const events = await pollUntil(
    async () =>
      (await sightline.drift.listDriftEvents({ name: options.driftDetector, pageSize: 1000 })).events,
    (events) => events.length >= expected,
    options.settleTimeoutMs,
    signal,
  );
  return [...events]
    .filter((event) => event.origin === 'live')
    .sort((a, b) => (a.windowStartTime?.getTime() ?? 0) - (b.windowStartTime?.getTime() ?? 0))
    .map((event, index) => {
      const pValues = (event.verdict?.features ?? [])
        .map((feature) => feature.pValue)
        .filter((p): p is number => p !== undefined);
      return {
        index,
        rows: event.rows,
        drift: event.verdict?.drift ?? false,
        pValue: pValues.length > 0 ? Math.min(...pValues) : undefined,
      };
    });
}

/** The live series' window of one phase, from `from` on. */
async function phaseWindow(
  sightline: Sightline,
  options: DemoOptions,
  phase: Phase,
  from: Date,
): Promise<WindowMetrics | undefined> {
  try {
    const report = await sightline.metrics.getMetrics(
      { modelName: options.graph, node: '' },
      {
        window: { from, to: new Date(Date.now() + WINDOW_END_MARGIN_MS) },
        segment: { name: PHASE_PARAMETER, value: phase },
      },
    );
    return report.windows[0];
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Each phase's window of the live series, once `wanted` holds for both or the settle time passed. */
export async function readPhaseWindows(
  sightline: Sightline,
  options: DemoOptions,
  from: Date,
  wanted: (phase: Phase, window: WindowMetrics | undefined) => boolean,
  signal?: AbortSignal,
): Promise<Map<Phase, WindowMetrics | undefined>> {
  const read = async () =>
    new Map(
      await Promise.all(
        PHASES.map(async (phase) => [phase, await phaseWindow(sightline, options, phase, from)] as const),
      ),
    );
  return pollUntil(
    read,
    (windows) => PHASES.every((phase) => wanted(phase, windows.get(phase))),
    options.settleTimeoutMs,
    signal,
  );
}

/** The shadow's series against the live one's on the labelled requests since `from` (accuracy). */
export async function compareShadow(
  sightline: Sightline,
  graph: string,
  from: Date,
): Promise<NonNullable<DemoOutcome['shadow']> | string> {
  try {
    const window = { from, to: new Date(Date.now() + WINDOW_END_MARGIN_MS) };
    const all = await sightline.metrics.getMetrics({ modelName: graph }, { window });
    const baseline = all.series.find((s) => s.node === '');
    const candidate = all.series.find((s) => s.node !== '');
    if (!baseline || !candidate) return `shadow: no shadow series of ${graph} in the metrics service`;
    const c = await sightline.metrics.compareVersions({
      baseline: { modelName: baseline.modelName, version: baseline.modelVersion, node: baseline.node },
      candidate: { modelName: candidate.modelName, version: candidate.modelVersion, node: candidate.node },
      window,
      metric: 'accuracy',
    });
    return {
      model: baseline.modelName,
      baselineVersion: baseline.modelVersion,
      candidateVersion: candidate.modelVersion,
      candidateNode: candidate.node,
      metric: c.metric,
      pairs: c.pairs,
      baselineValue: c.baselineValue,
      candidateValue: c.candidateValue,
      difference: c.difference.value,
      pValue: c.pValue,
      verdict: c.verdict,
    };
  } catch (error) {
    return `shadow: ${(error as Error).message}`;
  }
}

/** Kernel SHAP of one replayed row on the live model, against a seeded sample of the data set. */
export async function explainRow(
  sightline: Sightline,
  data: IrisData,
  explained: ReplayedRow,
  options: DemoOptions,
): Promise<NonNullable<DemoOutcome['explanation']> | string> {
  try {
    const pick = seededRandom(options.seed + 2);
    const background = Array.from(
      { length: EXPLANATION_BACKGROUND_ROWS },
      () => data.features[Math.floor(pick() * data.features.length)]!,
    );
    const result = await sightline.explainer.explain({
      // The example graph is named after its live model.
      model: options.graph,
      instances: [createTensor('input', 'FP32', [1, 4], Float32Array.from(explained.row.features))],
      background: {
        rows: [createTensor('input', 'FP32', [background.length, 4], Float32Array.from(background.flat()))],
        reduction: 'none',
      },
      method: { kernelShap: {} },
      targetIndices: [explained.predicted],
      featureNames: [...IRIS_COLUMNS],
      seed: options.seed,
    });
    const output = result.rows[0]?.attributions?.[0];
    if (!output) return 'explanation: the explainer answered no attributions';
    return {
      row: explained.row.index,
      features: explained.row.features,
      predictedClass: IRIS_CLASSES[explained.predicted]!,
      attributions: output.features.map((f) => ({ feature: f.name, value: f.value })),
    };
  } catch (error) {
    return `explanation: ${(error as Error).message}`;
  }
}

/** The trace of `traceId` once spans of every {@link TRACED_SERVICES} are in the trace store. */
export async function findTrace(
  sightline: Sightline,
  traceId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<NonNullable<DemoOutcome['trace']> | string> {
  try {
    const found = await pollUntil(
      () =>
        sightline.traces.get(traceId).catch((error: unknown) => {
          if (error instanceof NotFoundError) return undefined;
          throw error;
        }),
      (t) => TRACED_SERVICES.every((s) => t?.spans.some((span) => span.serviceName === s)),
      timeoutMs,
      signal,
    );
    if (!found) return `trace: ${traceId} not in the trace store`;
    return {
      traceId: found.traceId,
      spans: found.spans.length,
      services: [...new Set(found.spans.map((span) => span.serviceName))].sort(),
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    return `trace: ${(error as Error).message}`;
  }
}
