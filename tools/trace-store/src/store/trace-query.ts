/**
 * The rules a trace query must follow, checked once before the store is asked. Each broken
 * rule is an InvalidArgumentError naming the field (as the contract spells it) and the rule.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { TraceListFilter } from './trace-store.js';

/** Summaries ListTraces returns when the caller asks for 0 (no limit given). */
export const DEFAULT_LIST_LIMIT = 20;
/** The most summaries one ListTraces returns. */
export const MAX_LIST_LIMIT = 1000;
/** The longest `service`, `root_service` or `root_span_name` filter accepted, in characters. */
export const MAX_SERVICE_FILTER_LENGTH = 256;

const TRACE_ID = /^[0-9a-fA-F]{32}$/;
const ALL_ZEROS = /^0+$/;

/** A trace id as the store keys it (32 lowercase hex), or InvalidArgumentError naming `trace_id`. */
export function parseTraceId(text: string): string {
  if (!TRACE_ID.test(text)) {
    throw new InvalidArgumentError(
      `trace_id: expected 32 hex characters (e.g. the router's sightline.trace_id answer parameter), got ${quoteName(text)}`,
    );
  }
  if (ALL_ZEROS.test(text)) {
    throw new InvalidArgumentError('trace_id: the all-zero trace id is invalid (W3C Trace Context)');
  }
  return text.toLowerCase();
}

/** ListTraces' request in domain terms, before validation. */
export interface ListTracesQuery {
  readonly service: string;
  readonly rootService: string;
  readonly rootSpanName: string;
  readonly minDurationNanos: bigint;
  readonly limit: number;
  readonly sinceUnixNano: bigint;
}

/** Validates a list query and resolves its defaults. */
export function parseListFilter(query: ListTracesQuery): TraceListFilter {
  for (const [field, value] of [
    ['service', query.service],
    ['root_service', query.rootService],
    ['root_span_name', query.rootSpanName],
  ] as const) {
    if (value.length > MAX_SERVICE_FILTER_LENGTH) {
      throw new InvalidArgumentError(
        `${field}: at most ${MAX_SERVICE_FILTER_LENGTH} characters, got ${value.length}`,
      );
    }
  }
  if (query.minDurationNanos < 0n) {
    throw new InvalidArgumentError(`min_duration_nanos: must be >= 0, got ${query.minDurationNanos}`);
  }
  if (query.sinceUnixNano < 0n) {
    throw new InvalidArgumentError(`since_unix_nano: must be >= 0, got ${query.sinceUnixNano}`);
  }
  if (!Number.isInteger(query.limit) || query.limit < 0 || query.limit > MAX_LIST_LIMIT) {
    throw new InvalidArgumentError(`limit: at most ${MAX_LIST_LIMIT}, got ${query.limit}`);
  }
  return {
    service: query.service === '' ? undefined : query.service,
    rootService: query.rootService === '' ? undefined : query.rootService,
    rootSpanName: query.rootSpanName === '' ? undefined : query.rootSpanName,
    minDurationNanos: query.minDurationNanos,
    sinceUnixNano: query.sinceUnixNano,
    limit: query.limit === 0 ? DEFAULT_LIST_LIMIT : query.limit,
  };
}
