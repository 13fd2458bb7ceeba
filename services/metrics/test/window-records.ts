/** Builders of prediction records and joined pairs for the windows' tests. */
import type { JoinedPair, PredictionRecord, SeriesKey } from '../src/domain/records.js';

export const SERIES: SeriesKey = { modelName: 'iris', modelVersion: '1', node: '' };
export const CLASSES = ['a', 'b', 'c'] as const;
export const MINUTE = 60_000;
export const T0 = Date.UTC(2026, 0, 1);

/** One classification row's prediction and truth, as generated. */
export interface ClassRow {
  readonly predicted: number;
  readonly truth: number;
  /** Unnormalised weights; the probabilities are them over their sum (none when undefined). */
  readonly weights?: readonly number[];
  readonly minute: number;
  readonly segment?: string;
  readonly latencyMs?: number;
}

export function probabilities(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const p = weights.map((w) => w / total);
  return p;
}

export function classRecord(row: ClassRow, i: number, series: SeriesKey = SERIES): PredictionRecord {
  return {
    ...series,
    eventId: `e${i}`,
    requestId: `r${i}`,
    graph: '',
    outputName: 'out',
    timeMs: T0 + row.minute * MINUTE + (i % 59) * 1000,
    ...(row.latencyMs === undefined ? {} : { latencyMs: row.latencyMs }),
    task: 'classification',
    classes: [...CLASSES],
    rows: [
      {
        row: 0,
        label: CLASSES[row.predicted]!,
        ...(row.weights === undefined ? {} : { probabilities: probabilities(row.weights) }),
        ...(row.segment === undefined ? {} : { segments: { country: row.segment } }),
      },
    ],
  };
}

export function classPair(
  row: ClassRow,
  i: number,
  joinedMs?: number,
  series: SeriesKey = SERIES,
): JoinedPair {
  const record = classRecord(row, i, series);
  return {
    series,
    eventId: record.eventId,
    requestId: record.requestId,
    predictionMs: record.timeMs,
    joinedMs: joinedMs ?? record.timeMs + 3_600_000,
    task: 'classification',
    classes: record.classes,
    prediction: record.rows[0]!,
    truth: { kind: 'label', label: CLASSES[row.truth]! },
  };
}

/** One regression row. */
export interface ValueRow {
  readonly predicted: number;
  readonly truth: number;
  readonly minute: number;
}

export function valueRecord(row: ValueRow, i: number): PredictionRecord {
  return {
    ...SERIES,
    eventId: `e${i}`,
    requestId: `r${i}`,
    graph: '',
    outputName: 'out',
    timeMs: T0 + row.minute * MINUTE,
    task: 'regression',
    classes: [],
    rows: [{ row: 0, values: [row.predicted] }],
  };
}

export function valuePair(row: ValueRow, i: number): JoinedPair {
  const record = valueRecord(row, i);
  return {
    series: SERIES,
    eventId: record.eventId,
    requestId: record.requestId,
    predictionMs: record.timeMs,
    joinedMs: record.timeMs + 60_000,
    task: 'regression',
    classes: [],
    prediction: record.rows[0]!,
    truth: { kind: 'value', values: [row.truth] },
  };
}
