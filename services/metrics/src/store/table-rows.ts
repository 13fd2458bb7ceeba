/**
 * The rows both backends' tables hold (same column names in SQLite and PostgreSQL), and
 * their conversions to and from records. Selects name these columns, so one decoder serves
 * both.
 */
import type { PredictionRecord, PredictionRow } from '../domain/records.js';
import type { StoredFeedback } from './join-planner.js';
import { encodePredictionRow, type StoredPair } from './record-codec.js';

export interface PredictionColumns {
  event_id: string;
  request_id: string;
  model_name: string;
  model_version: string;
  node: string;
  graph: string;
  output_name: string;
  time_ms: number;
  latency_ms: number | null;
  task: string;
  classes: string;
  rows: string;
  row_count: number;
}

export interface FeedbackColumns {
  request_id: string;
  model_name: string;
  row: number;
  truth: string;
  observed_ms: number;
  received_ms: number;
  joined: number;
}

export interface PairColumns {
  event_id: string;
  row: number;
  request_id: string;
  model_name: string;
  model_version: string;
  node: string;
  prediction_ms: number;
  joined_ms: number;
  task: string;
  classes: string;
  prediction: string;
  truth: string;
  feedback_model: string;
}

export const PREDICTION_COLUMNS = [
  'event_id',
  'request_id',
  'model_name',
  'model_version',
  'node',
  'graph',
  'output_name',
  'time_ms',
  'latency_ms',
  'task',
  'classes',
  'rows',
  'row_count',
] as const;
export const FEEDBACK_COLUMNS = [
  'request_id',
  'model_name',
  'row',
  'truth',
  'observed_ms',
  'received_ms',
  'joined',
] as const;
export const PAIR_COLUMNS = [
  'event_id',
  'row',
  'request_id',
  'model_name',
  'model_version',
  'node',
  'prediction_ms',
  'joined_ms',
  'task',
  'classes',
  'prediction',
  'truth',
  'feedback_model',
] as const;

export function predictionToColumns(record: PredictionRecord): PredictionColumns {
  return {
    event_id: record.eventId,
    request_id: record.requestId,
    model_name: record.modelName,
    model_version: record.modelVersion,
    node: record.node,
    graph: record.graph,
    output_name: record.outputName,
    time_ms: record.timeMs,
    latency_ms: record.latencyMs ?? null,
    task: record.task,
    classes: JSON.stringify(record.classes),
    // Each row in the same key order as the pairs store it, so a reloaded row equals the original.
    rows: `[${record.rows.map(encodePredictionRow).join(',')}]`,
    row_count: record.rows.length,
  };
}

export function predictionFromColumns(c: PredictionColumns): PredictionRecord {
  return {
    eventId: c.event_id,
    requestId: c.request_id,
    modelName: c.model_name,
    modelVersion: c.model_version,
    node: c.node,
    graph: c.graph,
    outputName: c.output_name,
    timeMs: Number(c.time_ms),
    ...(c.latency_ms === null ? {} : { latencyMs: Number(c.latency_ms) }),
    task: c.task as PredictionRecord['task'],
    classes: JSON.parse(c.classes) as string[],
    rows: JSON.parse(c.rows) as PredictionRow[],
  };
}

export function feedbackToColumns(f: StoredFeedback): FeedbackColumns {
  return {
    request_id: f.requestId,
    model_name: f.modelName,
    row: f.row,
    truth: f.truthJson,
    observed_ms: f.observedMs,
    received_ms: f.receivedMs,
    joined: f.joined ? 1 : 0,
  };
}

export function feedbackFromColumns(c: FeedbackColumns): StoredFeedback {
  return {
    requestId: c.request_id,
    modelName: c.model_name,
    row: Number(c.row),
    truthJson: c.truth,
    observedMs: Number(c.observed_ms),
    receivedMs: Number(c.received_ms),
    joined: Number(c.joined) === 1,
  };
}

export function pairToColumns(p: StoredPair): PairColumns {
  return {
    event_id: p.eventId,
    row: p.row,
    request_id: p.requestId,
    model_name: p.series.modelName,
    model_version: p.series.modelVersion,
    node: p.series.node,
    prediction_ms: p.predictionMs,
    joined_ms: p.joinedMs,
    task: p.task,
    classes: p.classesJson,
    prediction: p.predictionJson,
    truth: p.truthJson,
    feedback_model: p.feedbackModel,
  };
}

export function pairFromColumns(c: PairColumns): StoredPair {
  return {
    eventId: c.event_id,
    row: Number(c.row),
    requestId: c.request_id,
    series: { modelName: c.model_name, modelVersion: c.model_version, node: c.node },
    predictionMs: Number(c.prediction_ms),
    joinedMs: Number(c.joined_ms),
    task: c.task as StoredPair['task'],
    classesJson: c.classes,
    predictionJson: c.prediction,
    truthJson: c.truth,
    feedbackModel: c.feedback_model,
  };
}

/** The optional series filters of a query as SQL conditions, with `?` placeholders in order. */
export function seriesConditions(query: { modelVersion?: string; node?: string }): {
  sql: string;
  params: string[];
} {
  const parts: string[] = [];
  const params: string[] = [];
  if (query.modelVersion !== undefined) {
    parts.push('model_version = ?');
    params.push(query.modelVersion);
  }
  if (query.node !== undefined) {
    parts.push('node = ?');
    params.push(query.node);
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
}
