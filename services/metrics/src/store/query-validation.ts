/**
 * Checks of query and non-record write arguments, shared by both backends: the caller gets
 * one sentence naming the field and the rule instead of a database error.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { isCleanText } from '../domain/record-rules.js';
import type { SeriesRangeQuery, SummaryFold, SummaryRecord } from './metrics-store.js';
import { checkItemCount, type StoreLimits } from './store-limits.js';

const fail = (field: string, rule: string, got: unknown): never => {
  throw new InvalidArgumentError(`${field}: ${rule}, got ${JSON.stringify(got) ?? String(got)}.`, { field });
};

function checkText(field: string, value: unknown, maxLength: number): void {
  if (typeof value !== 'string' || value.length === 0) fail(field, 'must be a non-empty string', value);
  if ((value as string).length > maxLength)
    fail(field, `must have at most ${maxLength} characters`, `${(value as string).length} characters`);
  if (!isCleanText(value as string))
    fail(
      field,
      'must be well-formed text (no lone UTF-16 surrogate, no NUL character)',
      `${(value as string).length} characters`,
    );
}

/** The arguments of a document read or delete. */
export function checkDocumentKey(collection: unknown, id: unknown, limits: StoreLimits): void {
  checkText('collection', collection, limits.maxIdLength);
  checkText('id', id, limits.maxIdLength);
}

/** The arguments of a collection listing (`after` is an id, so it follows the id rule). */
export function checkDocumentList(collection: unknown, after: unknown, limits: StoreLimits): void {
  checkText('collection', collection, limits.maxIdLength);
  if (after !== undefined) checkText('after', after, limits.maxIdLength);
}

/** Fails unless `value` is an integer number of milliseconds. */
export function checkTime(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    fail(field, 'must be an integer number of milliseconds', value);
}

/** Fails unless `ttlMs` is a positive integer (a negative one would expire everything). */
export function checkTtl(ttlMs: unknown): void {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0)
    fail('ttlMs', 'must be a positive integer number of milliseconds', ttlMs);
}

export function checkJson(field: string, json: unknown, maxLength: number): void {
  if (typeof json !== 'string') fail(field, 'must be JSON text', json);
  if ((json as string).length > maxLength)
    fail(field, `must have at most ${maxLength} characters`, `${(json as string).length} characters`);
  try {
    JSON.parse(json as string);
  } catch {
    fail(field, 'must be valid JSON', `${(json as string).slice(0, 40)}`);
  }
}

export function checkRange(query: SeriesRangeQuery, limits: StoreLimits): void {
  checkText('modelName', query.modelName, limits.maxIdLength);
  checkTime('fromMs', query.fromMs);
  checkTime('toMs', query.toMs);
  if (query.toMs < query.fromMs) fail('toMs', `must not be before fromMs (${query.fromMs})`, query.toMs);
}

export function checkSummaries(records: readonly SummaryRecord[], limits: StoreLimits): void {
  checkItemCount('summaries', records.length, limits);
  for (const [i, r] of records.entries()) {
    checkText(`summaries[${i}].seriesKey`, r.seriesKey, limits.maxSeriesKeyLength);
    checkTime(`summaries[${i}].bucketStartMs`, r.bucketStartMs);
    checkJson(`summaries[${i}].summary`, r.summary, limits.maxJsonLength);
  }
}

export function checkSummaryFolds(folds: readonly SummaryFold[], limits: StoreLimits): void {
  checkItemCount('folds', folds.length, limits);
  for (const [i, f] of folds.entries()) {
    checkText(`folds[${i}].seriesKey`, f.seriesKey, limits.maxSeriesKeyLength);
    checkTime(`folds[${i}].bucketStartMs`, f.bucketStartMs);
    if (typeof f.fold !== 'function') throw new InvalidArgumentError(`folds[${i}].fold: must be a function`);
  }
}

export function checkDocumentArgs(collection: string, id: string, json: string, limits: StoreLimits): void {
  checkText('collection', collection, limits.maxIdLength);
  checkText('id', id, limits.maxIdLength);
  checkJson('json', json, limits.maxJsonLength);
}
