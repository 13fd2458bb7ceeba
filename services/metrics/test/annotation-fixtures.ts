/**
 * What the annotation tests share: prediction records, a feedback port that records what it
 * is given, a clock the test moves, and queues over a real SQLite store in a temp directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tensor } from '@sightline/tensor';
import type { AnnotationOptions } from '../src/annotation/annotation-options.js';
import { AnnotationQueues } from '../src/annotation/annotation-queues.js';
import type {
  AnnotationFeedbackOutcome,
  AnnotationFeedbackPort,
} from '../src/annotation/annotation-types.js';
import type { FeedbackRecord, PredictionRecord, PredictionRow } from '../src/domain/records.js';
import { SqliteMetricsStore } from '../src/store/sqlite/sqlite-metrics-store.js';

export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
export const CLASSES = ['cat', 'dog', 'fox'] as const;

/** A classification prediction of one request; each row given as its probabilities. */
export function classPrediction(
  requestId: string,
  rows: readonly (readonly number[])[],
  options: { modelName?: string; node?: string; timeMs?: number; version?: string } = {},
): PredictionRecord {
  return {
    eventId: `e-${requestId}-${options.modelName ?? 'clf'}-${options.node ?? ''}`,
    requestId,
    modelName: options.modelName ?? 'clf',
    modelVersion: options.version ?? 'v1',
    node: options.node ?? '',
    graph: '',
    outputName: 'probabilities',
    timeMs: options.timeMs ?? T0,
    task: 'classification',
    classes: [...CLASSES],
    rows: rows.map((probabilities, row): PredictionRow => {
      let top = 0;
      probabilities.forEach((p, i) => {
        if (p > (probabilities[top] ?? 0)) top = i;
      });
      return { row, label: CLASSES[top] as string, probabilities };
    }),
  };
}

/** A regression prediction of one request, one value per row. */
export function valuePrediction(
  requestId: string,
  values: readonly number[],
  modelName = 'reg',
): PredictionRecord {
  return {
    eventId: `e-${requestId}-${modelName}`,
    requestId,
    modelName,
    modelVersion: 'v1',
    node: '',
    graph: '',
    outputName: 'y',
    timeMs: T0,
    task: 'regression',
    classes: [],
    rows: values.map((value, row) => ({ row, values: [value] })),
  };
}

/** An FP32 input of `rows` rows of `width` values: row r holds r*1000 + column. */
export function rowsInput(name: string, rows: number, width: number): Tensor {
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) data[r * width + c] = r * 1000 + c;
  return { name, datatype: 'FP32', shape: [rows, width], data };
}

/** A feedback port that keeps what it is given and answers with `answer` (joined by default). */
export class RecordingFeedbackPort implements AnnotationFeedbackPort {
  readonly received: FeedbackRecord[] = [];
  answer: (item: FeedbackRecord) => AnnotationFeedbackOutcome = () => ({ status: 'joined', pairs: 1 });
  /** Called with each batch before answering (a test may call the feedback hook from here, as the core will). */
  onRecord: (items: readonly FeedbackRecord[]) => Promise<void> = async () => {};

  async recordFeedback(items: readonly FeedbackRecord[]): Promise<readonly AnnotationFeedbackOutcome[]> {
    this.received.push(...items);
    await this.onRecord(items);
    return items.map((item) => this.answer(item));
  }
}

/** A clock the test moves. */
export class TestClock {
  constructor(public nowMs = T0) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export interface QueuesHarness {
  readonly store: SqliteMetricsStore;
  readonly queues: AnnotationQueues;
  readonly port: RecordingFeedbackPort;
  readonly clock: TestClock;
  /** Closes the store and opens it (and the queues) again, as a restart does. */
  reopen(): Promise<QueuesHarness>;
  cleanup(): Promise<void>;
}

/** Queues over a fresh SQLite store in a temp directory. */
export async function openQueuesHarness(options: Partial<AnnotationOptions> = {}): Promise<QueuesHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sightline-annotation-'));
  const file = path.join(dir, 'metrics.sqlite');
  const clock = new TestClock();
  const port = new RecordingFeedbackPort();
  const open = async (): Promise<QueuesHarness> => {
    const store = await SqliteMetricsStore.open({ file });
    const queues = await AnnotationQueues.open({ documents: store, feedback: port, now: clock.now, options });
    return {
      store,
      queues,
      port,
      clock,
      async reopen() {
        await store.close();
        return open();
      },
      async cleanup() {
        await store.close().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
  return open();
}
