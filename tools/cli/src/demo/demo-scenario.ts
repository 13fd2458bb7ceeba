/**
 * The monitoring demo against a running stack, through the SDK: a drift detector attached to
 * the live model, the traffic replayed through the graph (drift half-way, planted outliers),
 * the label-free estimate read before any label exists, the labels sent after a delay, then
 * what each service saw: drift windows, outlier verdicts, accuracy per phase, the shadow
 * compared with the live model, an explanation and a trace. The outcome is plain data, printed
 * by demo-report.ts and asserted by the end-to-end test.
 */
import { NotFoundError, type Sightline, type WindowMetrics } from '@sightline/sdk';
import { createTensor } from '@sightline/tensor';
import {
  IRIS_CLASSES,
  IRIS_COLUMNS,
  type IrisData,
  makeTraffic,
  seededRandom,
  type TrafficRow,
} from './demo-data.js';
import { type DemoOptions, driftStartOf } from './demo-options.js';

/** The request parameter (and metrics segment) that says which phase a row belongs to. */
export const PHASE_PARAMETER = 'phase';
export const PHASES = ['before-drift', 'after-drift'] as const;
export type Phase = (typeof PHASES)[number];
/** How often the demo asks a consumer whether it has caught up, ms. */
export const POLL_INTERVAL_MS = 250;
/** Background rows the explanation draws on (a seeded sample of the data set). */
export const EXPLANATION_BACKGROUND_ROWS = 50;
/** The services one request's trace crosses (their OpenTelemetry service names). */
export const TRACED_SERVICES = ['sightline-router', 'sightline-model-server', 'sightline-outlier'] as const;

/** What one replayed request answered. */
export interface ReplayedRow {
  readonly row: TrafficRow;
  readonly requestId: string;
  /** The live model's class index. */
  readonly predicted: number;
  /** The sync detector's verdict; undefined when the graph skipped it (soft, not answering). */
  readonly flagged: boolean | undefined;
  readonly traceId: string | undefined;
}

/** One drift window as the drift service closed it. */
export interface DemoDriftWindow {
  readonly index: number;
  readonly rows: number;
  readonly drift: boolean;
  /** The smallest per-feature p-value. */
  readonly pValue: number | undefined;
}

/** Accuracy and CBPE of one phase. */
export interface PhaseMetrics {
  readonly phase: Phase;
  readonly predictions: number;
  /** CBPE's expected accuracy read before any label was sent. */
  readonly estimateBeforeLabels: number | undefined;
  /** Labelled rows when the estimate was read (0: it came before the labels). */
  readonly pairsAtEstimate: number;
  readonly pairs: number;
  /** Realised accuracy on the labelled rows. */
  readonly accuracy: number | undefined;
}

/** Everything the demo found; a part it could not get has its reason in `problems`. */
export interface DemoOutcome {
  readonly runId: string;
  readonly rows: number;
  readonly driftStart: number;
  readonly windowRows: number;
  readonly replayMs: number;
  readonly drift: {
    readonly windows: readonly DemoDriftWindow[];
    readonly firstDriftWindow: number | undefined;
    readonly expectedFirstDriftWindow: number;
  };
  readonly outliers: {
    readonly planted: readonly number[];
    /** Rows the detector answered for (the others were skipped). */
    readonly checked: number;
    readonly flaggedPlanted: number;
    readonly recall: number;
    /** Before the drift: planted among the flagged. */
    readonly flaggedBeforeDrift: number;
    readonly precisionBeforeDrift: number;
    /** After the drift the shifted flowers are unusual too: how many were flagged. */
    readonly flaggedAfterDrift: number;
  };
  readonly metrics: readonly PhaseMetrics[];
  readonly shadow?: {
    readonly model: string;
    readonly baselineVersion: string;
    readonly candidateVersion: string;
    /** The shadow node the candidate's answers are kept under. */
    readonly candidateNode: string;
    readonly metric: string;
    readonly pairs: number;
    readonly baselineValue: number;
    readonly candidateValue: number;
    readonly difference: number;
    readonly pValue: number;
    readonly verdict: string;
  };
  readonly explanation?: {
    readonly row: number;
    readonly features: readonly number[];
    readonly predictedClass: string;
    readonly attributions: readonly { readonly feature: string; readonly value: number }[];
  };
  readonly trace?: { readonly traceId: string; readonly spans: number; readonly services: readonly string[] };
  readonly problems: readonly string[];
}

/** What the scenario reports while it runs. */
export interface DemoHooks {
  /** A step begins (one line). */
  readonly onStep?: (line: string) => void;
  /** Rows replayed so far. */
  readonly onReplayed?: (done: number, total: number) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `probe` until it answers a value `done` accepts or `timeoutMs` passes; answers the last value. */
async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(POLL_INTERVAL_MS);
  }
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** The sync outlier verdict in a response's parameters (`sightline.<detector>.is_outlier`). */
function verdictOf(parameters: Readonly<Record<string, unknown>>): boolean | undefined {
  for (const [key, value] of Object.entries(parameters)) {
    if (/^sightline\..+\.is_outlier$/.test(key) && typeof value === 'boolean') return value;
  }
  return undefined;
}

async function prepareDriftDetector(
  sightline: Sightline,
  data: IrisData,
  options: DemoOptions,
): Promise<void> {
  const name = options.driftDetector;
  await sightline.drift.delete(name).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
  });
  await sightline.drift.createDetector(name, { settings: { kind: 'tabular', pVal: options.driftPValue } });
  const columns = Object.fromEntries(IRIS_COLUMNS.map((c, f) => [c, data.features.map((row) => row[f]!)]));
  await sightline.drift.fit(name, { columns }, { referenceSource: 'examples/data/iris.csv' });
  await sightline.drift.attach(name, {
    // The live model's events only: the shadow's name its own model.
    selector: {
      modelName: options.graph,
      graph: options.graph,
      tensors: ['input'],
      columnNames: [...IRIS_COLUMNS],
    },
    // Closed by rows alone: the time limit is far past the demo's length.
    window: { maxRows: options.windowRows, maxDurationMs: 10 * 60_000 },
  });
}

async function replay(
  sightline: Sightline,
  traffic: readonly TrafficRow[],
  runId: string,
  options: DemoOptions,
  hooks: DemoHooks,
): Promise<ReplayedRow[]> {
  const results: ReplayedRow[] = new Array(traffic.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < traffic.length) {
      const row = traffic[next++]!;
      const requestId = `${runId}-${row.index}`;
      const answer = await sightline.inference.infer(
        options.graph,
        { input: { data: Float32Array.from(row.features), shape: [1, 4], datatype: 'FP32' } },
        { id: requestId, parameters: { [PHASE_PARAMETER]: row.drifted ? 'after-drift' : 'before-drift' } },
      );
      const probabilities = (answer.output('probabilities').toNested() as number[][])[0] ?? [];
      results[row.index] = {
        row,
        requestId,
        predicted: argmax(probabilities),
        flagged: verdictOf(answer.parameters),
        traceId: answer.traceId,
      };
      hooks.onReplayed?.(++done, traffic.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results;
}

async function driftWindows(
  sightline: Sightline,
  options: DemoOptions,
  expected: number,
): Promise<DemoDriftWindow[]> {
  const events = await pollUntil(
    async () =>
      (await sightline.drift.listDriftEvents({ name: options.driftDetector, pageSize: 1000 })).events,
    (events) => events.length >= expected,
    options.settleTimeoutMs,
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
        window: { from, to: new Date(Date.now() + 60_000) },
        segment: { name: PHASE_PARAMETER, value: phase },
      },
    );
    return report.windows[0];
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

async function phaseWindows(
  sightline: Sightline,
  options: DemoOptions,
  from: Date,
  wanted: (phase: Phase, window: WindowMetrics | undefined) => boolean,
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
  );
}

/** Runs the demo; see the file's comment. */
export async function runDemo(
  sightline: Sightline,
  data: IrisData,
  options: DemoOptions,
  hooks: DemoHooks = {},
): Promise<DemoOutcome> {
  const problems: string[] = [];
  const step = hooks.onStep ?? (() => {});
  const runId = `demo-${options.seed}-${Date.now().toString(36)}`;
  const driftStart = driftStartOf(options);
  const traffic = makeTraffic(data, {
    rows: options.rows,
    driftStart,
    driftShift: options.driftShift,
    outliers: options.outliers,
    noiseCm: options.noiseCm,
    seed: options.seed,
  });
  const rowsIn = (phase: Phase) => traffic.filter((row) => row.drifted === (phase === 'after-drift')).length;

  step(
    `drift detector ${options.driftDetector}: fitted on the ${data.features.length} iris flowers, watching ${options.graph} in windows of ${options.windowRows} rows`,
  );
  await prepareDriftDetector(sightline, data, options);
  // Metrics windows are whole minutes: from the minute the replay starts.
  const started = new Date();
  step(
    `replaying ${options.rows} rows through ${options.graph}: drift from row ${driftStart}, ${options.outliers} planted outliers`,
  );
  const replayed = await replay(sightline, traffic, runId, options, hooks);
  const replayMs = Date.now() - started.getTime();

  step('waiting for the drift windows and the metrics to catch up with the events');
  const expectedWindows = Math.floor(options.rows / options.windowRows);
  const windows = await driftWindows(sightline, options, expectedWindows);
  if (windows.length < expectedWindows)
    problems.push(
      `drift: ${windows.length} of ${expectedWindows} windows closed within ${options.settleTimeoutMs} ms`,
    );
  const firstDrift = windows.find((window) => window.drift);

  const unlabelled = await phaseWindows(
    sightline,
    options,
    started,
    (phase, w) => (w?.counts.predictions ?? 0) >= rowsIn(phase),
  );

  const checked = replayed.filter((r) => r.flagged !== undefined);
  const planted = replayed.filter((r) => r.row.planted);
  const flaggedPlanted = planted.filter((r) => r.flagged === true).length;
  const flaggedBefore = replayed.filter((r) => !r.row.drifted && r.flagged === true);
  const flaggedBeforePlanted = flaggedBefore.filter((r) => r.row.planted).length;
  if (checked.length < replayed.length)
    problems.push(
      `outlier: ${replayed.length - checked.length} of ${replayed.length} requests got no verdict (the detector node was skipped)`,
    );

  step(
    `waiting ${options.feedbackDelayMs} ms, then sending the true labels of ${Math.round(options.labelledFraction * 100)}% of the rows`,
  );
  await sleep(options.feedbackDelayMs);
  const random = seededRandom(options.seed + 1);
  const labelled = replayed.filter(() => random() < options.labelledFraction);
  await sightline.metrics.sendFeedback(
    labelled.map((r) => ({ requestId: r.requestId, label: IRIS_CLASSES[r.row.species]! })),
  );
  const labelledIn = (phase: Phase) =>
    labelled.filter((r) => r.row.drifted === (phase === 'after-drift')).length;
  const withLabels = await phaseWindows(
    sightline,
    options,
    started,
    (phase, w) => (w?.classification?.pairs ?? 0) >= labelledIn(phase),
  );
  const metrics = PHASES.map((phase): PhaseMetrics => {
    const before = unlabelled.get(phase);
    const after = withLabels.get(phase);
    return {
      phase,
      predictions: before?.counts.predictions ?? 0,
      estimateBeforeLabels: before?.cbpe?.accuracy.value,
      pairsAtEstimate: before?.classification?.pairs ?? 0,
      pairs: after?.classification?.pairs ?? 0,
      accuracy: after?.classification?.accuracy.value,
    };
  });

  let shadow: DemoOutcome['shadow'];
  try {
    const all = await sightline.metrics.getMetrics(
      { modelName: options.graph },
      { window: { from: started, to: new Date(Date.now() + 60_000) } },
    );
    const baseline = all.series.find((s) => s.node === '');
    const candidate = all.series.find((s) => s.node !== '');
    if (!baseline || !candidate)
      problems.push(`shadow: no shadow series of ${options.graph} in the metrics service`);
    else {
      const c = await sightline.metrics.compareVersions({
        baseline: { modelName: baseline.modelName, version: baseline.modelVersion, node: baseline.node },
        candidate: { modelName: candidate.modelName, version: candidate.modelVersion, node: candidate.node },
        window: { from: started, to: new Date(Date.now() + 60_000) },
        metric: 'accuracy',
      });
      shadow = {
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
    }
  } catch (error) {
    problems.push(`shadow: ${(error as Error).message}`);
  }

  let explanation: DemoOutcome['explanation'];
  const explained = replayed.find((r) => r.row.drifted && !r.row.planted) ?? replayed[0]!;
  try {
    step(`explaining row ${explained.row.index} (Kernel SHAP on the live model)`);
    const pick = seededRandom(options.seed + 2);
    const background = Array.from(
      { length: EXPLANATION_BACKGROUND_ROWS },
      () => data.features[Math.floor(pick() * data.features.length)]!,
    );
    const result = await sightline.explainer.explain({
      model: options.graph === 'iris' ? 'iris' : options.graph,
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
    if (!output) problems.push('explanation: the explainer answered no attributions');
    else {
      explanation = {
        row: explained.row.index,
        features: explained.row.features,
        predictedClass: IRIS_CLASSES[explained.predicted]!,
        attributions: output.features.map((f) => ({ feature: f.name, value: f.value })),
      };
    }
  } catch (error) {
    problems.push(`explanation: ${(error as Error).message}`);
  }

  let trace: DemoOutcome['trace'];
  const traced = replayed.find((r) => r.traceId !== undefined && r.flagged !== undefined);
  if (!traced?.traceId) problems.push('trace: no answered request carried a trace id');
  else {
    try {
      const found = await pollUntil(
        () =>
          sightline.traces.get(traced.traceId!).catch((error: unknown) => {
            if (error instanceof NotFoundError) return undefined;
            throw error;
          }),
        (t) => TRACED_SERVICES.every((s) => t?.spans.some((span) => span.serviceName === s)),
        options.settleTimeoutMs,
      );
      if (found) {
        trace = {
          traceId: found.traceId,
          spans: found.spans.length,
          services: [...new Set(found.spans.map((span) => span.serviceName))].sort(),
        };
      } else problems.push(`trace: ${traced.traceId} not in the trace store`);
    } catch (error) {
      problems.push(`trace: ${(error as Error).message}`);
    }
  }

  return {
    runId,
    rows: options.rows,
    driftStart,
    windowRows: options.windowRows,
    replayMs,
    drift: {
      windows,
      firstDriftWindow: firstDrift?.index,
      expectedFirstDriftWindow: driftStart / options.windowRows,
    },
    outliers: {
      planted: planted.map((r) => r.row.index),
      checked: checked.length,
      flaggedPlanted,
      recall: planted.length === 0 ? 1 : flaggedPlanted / planted.length,
      flaggedBeforeDrift: flaggedBefore.length,
      precisionBeforeDrift: flaggedBefore.length === 0 ? 1 : flaggedBeforePlanted / flaggedBefore.length,
      flaggedAfterDrift: replayed.filter((r) => r.row.drifted && r.flagged === true).length,
    },
    metrics,
    ...(shadow && { shadow }),
    ...(explanation && { explanation }),
    ...(trace && { trace }),
    problems,
  };
}
