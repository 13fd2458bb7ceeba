/**
 * The monitoring demo against a running stack, through the SDK: a drift detector attached to
 * the live model, the traffic replayed through the graph (drift half-way, planted outliers),
 * the label-free estimate read before any label exists, the labels sent after a delay, then
 * what each service saw: drift windows, outlier verdicts, accuracy per phase, the shadow
 * compared with the live model, an explanation and a trace. demo-replay.ts sends the
 * traffic, demo-readings.ts reads what the services saw; the outcome (demo-outcome.ts) is plain
 * data, printed by demo-view.ts and asserted by the end-to-end test.
 */
import type { Sightline } from '@sightline/sdk';
import { IRIS_CLASSES, type IrisData, makeTraffic, seededRandom } from './demo-data.js';
import { type DemoOptions, driftStartOf } from './demo-options.js';
import type { DemoHooks, DemoOutcome, Phase, PhaseMetrics } from './demo-outcome.js';
import { PHASES } from './demo-outcome.js';
import {
  compareShadow,
  explainRow,
  findTrace,
  msToNextBucket,
  phasesBusySince,
  readDriftWindows,
  readPhaseWindows,
  sleep,
} from './demo-readings.js';
import { prepareDriftDetector, replay } from './demo-replay.js';

/** Runs the demo; see the file's comment. */
export async function runDemo(
  sightline: Sightline,
  data: IrisData,
  options: DemoOptions,
  hooks: DemoHooks = {},
): Promise<DemoOutcome> {
  const problems: string[] = [];
  const signal = hooks.signal;
  // Each step first checks for Ctrl-C, so an interrupted demo sends and waits for nothing more.
  const step = (line: string) => {
    signal?.throwIfAborted();
    hooks.onStep?.(line);
  };
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
  // Metrics windows are whole minutes, read from the minute the replay starts: an earlier
  // demo's rows in this minute (a second run right after the first) would count as this
  // one's, and its labels would already satisfy the waits. Start in the next minute instead.
  if (await phasesBusySince(sightline, options, new Date(), signal)) {
    const waitMs = msToNextBucket(Date.now());
    step(
      `waiting ${Math.ceil(waitMs / 1000)} s for the next metrics minute: an earlier demo's rows are in this one`,
    );
    await sleep(waitMs, signal);
  }
  const started = new Date();
  step(
    `replaying ${options.rows} rows through ${options.graph}: drift from row ${driftStart}, ${options.outliers} planted outliers`,
  );
  const replayed = await replay(sightline, traffic, runId, options, hooks);
  const replayMs = Date.now() - started.getTime();

  step('waiting for the drift windows and the metrics to catch up with the events');
  const expectedWindows = Math.floor(options.rows / options.windowRows);
  const windows = await readDriftWindows(sightline, options, expectedWindows, signal);
  if (windows.length < expectedWindows)
    problems.push(
      `drift: ${windows.length} of ${expectedWindows} windows closed within ${options.settleTimeoutMs} ms`,
    );
  const firstDrift = windows.find((window) => window.drift);

  const unlabelled = await readPhaseWindows(
    sightline,
    options,
    started,
    (phase, w) => (w?.counts.predictions ?? 0) >= rowsIn(phase),
    signal,
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
  await sleep(options.feedbackDelayMs, signal);
  const random = seededRandom(options.seed + 1);
  const labelled = replayed.filter(() => random() < options.labelledFraction);
  await sightline.metrics.sendFeedback(
    labelled.map((r) => ({ requestId: r.requestId, label: IRIS_CLASSES[r.row.species]! })),
    { signal },
  );
  const labelledIn = (phase: Phase) =>
    labelled.filter((r) => r.row.drifted === (phase === 'after-drift')).length;
  const withLabels = await readPhaseWindows(
    sightline,
    options,
    started,
    (phase, w) => (w?.classification?.pairs ?? 0) >= labelledIn(phase),
    signal,
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

  const shadow = await compareShadow(sightline, options.graph, started);
  if (typeof shadow === 'string') problems.push(shadow);

  const explained = replayed.find((r) => r.row.drifted && !r.row.planted) ?? replayed[0]!;
  step(`explaining row ${explained.row.index} (Kernel SHAP on the live model)`);
  const explanation = await explainRow(sightline, data, explained, options);
  if (typeof explanation === 'string') problems.push(explanation);

  const traced = replayed.find((r) => r.traceId !== undefined && r.flagged !== undefined);
  const trace = traced?.traceId
    ? await findTrace(sightline, traced.traceId, options.settleTimeoutMs, signal)
    : checked.length === 0
      ? 'trace: no request got the outlier verdict, so none crossed every service'
      : 'trace: no answered request carried a trace id';
  if (typeof trace === 'string') problems.push(trace);
  signal?.throwIfAborted();

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
    ...(typeof shadow !== 'string' && { shadow }),
    ...(typeof explanation !== 'string' && { explanation }),
    ...(typeof trace !== 'string' && { trace }),
    problems,
  };
}
