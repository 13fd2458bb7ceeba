/**
 * The demo's traffic sent: its own drift detector made and attached to the live model, then
 * every row through the graph as one request, a few at a time, each answer's class and
 * outlier verdict kept.
 */
import { NotFoundError, type Sightline } from '@sightline/sdk';
import { IRIS_COLUMNS, type IrisData, type TrafficRow } from './demo-data.js';
import type { DemoOptions } from './demo-options.js';
import type { DemoHooks, ReplayedRow } from './demo-outcome.js';
import { PHASE_PARAMETER } from './demo-outcome.js';

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

/** Replaces the demo's drift detector: fitted on the data set, attached to the live model's inputs. */
export async function prepareDriftDetector(
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

/** Sends every row as one request; answers each in row order. */
export async function replay(
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
      hooks.signal?.throwIfAborted();
      const row = traffic[next++]!;
      const requestId = `${runId}-${row.index}`;
      const answer = await sightline.inference.infer(
        options.graph,
        { input: { data: Float32Array.from(row.features), shape: [1, 4], datatype: 'FP32' } },
        {
          id: requestId,
          parameters: { [PHASE_PARAMETER]: row.drifted ? 'after-drift' : 'before-drift' },
          signal: hooks.signal,
        },
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
