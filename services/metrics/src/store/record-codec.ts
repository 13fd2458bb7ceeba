/**
 * How records become column values and back. Truth and prediction rows are stored as JSON
 * text with a fixed key order, so two equal truths have equal text and "the same truth
 * again" is a string comparison in either backend.
 */
import type { JoinedPair, PredictionRow, SeriesKey, Truth } from '../domain/records.js';

/** The truth as JSON with its keys in a fixed order. */
export function encodeTruth(truth: Truth): string {
  switch (truth.kind) {
    case 'label':
      return JSON.stringify({ kind: 'label', label: truth.label });
    case 'value':
      return JSON.stringify({ kind: 'value', values: [...truth.values] });
    case 'reward':
      return JSON.stringify({ kind: 'reward', reward: truth.reward });
  }
}

export function decodeTruth(text: string): Truth {
  return JSON.parse(text) as Truth;
}

/** A prediction row as JSON with its keys in a fixed order (absent fields left out). */
export function encodePredictionRow(row: PredictionRow): string {
  return JSON.stringify({
    row: row.row,
    ...(row.label !== undefined ? { label: row.label } : {}),
    ...(row.probabilities !== undefined ? { probabilities: [...row.probabilities] } : {}),
    ...(row.values !== undefined ? { values: [...row.values] } : {}),
    ...(row.segments !== undefined ? { segments: { ...row.segments } } : {}),
  });
}

export function decodePredictionRow(text: string): PredictionRow {
  return JSON.parse(text) as PredictionRow;
}

/** A pair as both backends store it: one row of the `pairs` table. */
export interface StoredPair {
  readonly eventId: string;
  readonly row: number;
  readonly requestId: string;
  readonly series: SeriesKey;
  readonly predictionMs: number;
  readonly joinedMs: number;
  readonly task: 'classification' | 'regression';
  /**
   * The classes as JSON text, or '' (what new pairs store): the classes are kept once, in the
   * prediction's row, and read from there by event id. Pairs written
   * before kept their own copy, which is still read.
   */
  readonly classesJson: string;
  /** The prediction row as `encodePredictionRow` text. */
  readonly predictionJson: string;
  /** The truth as `encodeTruth` text. */
  readonly truthJson: string;
  /** The model name of the feedback the truth came from ('' for unnamed feedback). */
  readonly feedbackModel: string;
}

/**
 * The pair as the domain sees it. Pages of one series repeat the same classes on every pair:
 * pass one `classesCache` per page so they are parsed once (the pairs share the frozen array).
 */
export function pairFromStored(
  stored: StoredPair,
  classesCache?: Map<string, readonly string[]>,
  /** The classes JSON of the pair's prediction, for a pair that stores '' (by event id). */
  predictionClasses?: ReadonlyMap<string, string>,
): JoinedPair {
  const classesJson =
    stored.classesJson === '' ? (predictionClasses?.get(stored.eventId) ?? '[]') : stored.classesJson;
  let classes = classesCache?.get(classesJson);
  if (classes === undefined) {
    classes = Object.freeze(JSON.parse(classesJson) as string[]);
    classesCache?.set(classesJson, classes);
  }
  return {
    series: stored.series,
    eventId: stored.eventId,
    requestId: stored.requestId,
    predictionMs: stored.predictionMs,
    joinedMs: stored.joinedMs,
    task: stored.task,
    classes,
    prediction: decodePredictionRow(stored.predictionJson),
    truth: decodeTruth(stored.truthJson),
  };
}

/** The event ids of stored pairs that keep no classes of their own (read from the predictions). */
export const eventIdsWithoutClasses = (pairs: readonly StoredPair[]): string[] => [
  ...new Set(pairs.filter((p) => p.classesJson === '').map((p) => p.eventId)),
];

/** The pair table's key of a prediction row. */
export const pairKeyOf = (eventId: string, row: number): string => `${eventId}\u0000${row}`;

/** The feedback table's key. */
export const feedbackKeyOf = (requestId: string, modelName: string, row: number): string =>
  `${requestId}\u0000${modelName}\u0000${row}`;
