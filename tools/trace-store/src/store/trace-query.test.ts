import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, parseListFilter, parseTraceId } from './trace-query.js';

const QUERY = {
  service: '',
  rootService: '',
  rootSpanName: '',
  minDurationNanos: 0n,
  limit: 0,
  sinceUnixNano: 0n,
};

describe('parseTraceId', () => {
  it('accepts 32 hex characters in either case and keys them lowercase', () => {
    expect(parseTraceId('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it.each([
    ['', /trace_id: expected 32 hex characters.*got ""/],
    ['4bf92f3577b34da6a3ce929d0e0e473', /trace_id: expected 32 hex characters/],
    ['4bf92f3577b34da6a3ce929d0e0e4736a', /trace_id: expected 32 hex characters/],
    ['zzf92f3577b34da6a3ce929d0e0e4736', /trace_id: expected 32 hex characters/],
    ['00000000000000000000000000000000', /trace_id: the all-zero trace id is invalid/],
    ['x'.repeat(100_000), /\(100000 characters\)/],
  ])('refuses %j naming trace_id and the rule', (text, message) => {
    const attempt = () => parseTraceId(text);
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(message);
  });
});

describe('parseListFilter', () => {
  it('resolves the defaults: every service, the default limit', () => {
    expect(parseListFilter(QUERY)).toEqual({
      service: undefined,
      rootService: undefined,
      rootSpanName: undefined,
      minDurationNanos: 0n,
      sinceUnixNano: 0n,
      limit: DEFAULT_LIST_LIMIT,
    });
  });

  it.each([
    [{ limit: MAX_LIST_LIMIT + 1 }, `limit: at most ${MAX_LIST_LIMIT}, got ${MAX_LIST_LIMIT + 1}`],
    [{ minDurationNanos: -1n }, 'min_duration_nanos: must be >= 0, got -1'],
    [{ sinceUnixNano: -5n }, 'since_unix_nano: must be >= 0, got -5'],
    [{ service: 's'.repeat(257) }, 'service: at most 256 characters, got 257'],
    [{ rootService: 's'.repeat(300) }, 'root_service: at most 256 characters, got 300'],
    [{ rootSpanName: 'n'.repeat(257) }, 'root_span_name: at most 256 characters, got 257'],
  ])('refuses %o with a sentence naming the field', (override, message) => {
    expect(() => parseListFilter({ ...QUERY, ...override })).toThrow(new InvalidArgumentError(message));
  });
});
