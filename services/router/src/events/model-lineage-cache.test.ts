import { describe, expect, it } from 'vitest';
import type { ModelTarget } from '../engine/ports.js';
import {
  LINEAGE_REFRESH_MS,
  LINEAGE_RETRY_MS,
  lineageOf,
  type ModelLineage,
  ModelLineageCache,
} from './model-lineage-cache.js';

const target = (modelVersion: string, modelName = 'iris'): ModelTarget => ({
  address: '127.0.0.1:8001',
  modelName,
  modelVersion,
});

/** A fetcher whose answers the test settles by hand, recording each call. */
function manualFetcher() {
  const calls: { target: ModelTarget; settle: (value: ModelLineage | Error) => void }[] = [];
  const fetch = (t: ModelTarget) =>
    new Promise<ModelLineage>((resolve, reject) => {
      calls.push({ target: t, settle: (value) => (value instanceof Error ? reject(value) : resolve(value)) });
    });
  return { calls, fetch };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('ModelLineageCache', () => {
  it('fetches a version once, and its events read the lineage once it has arrived', async () => {
    const { calls, fetch } = manualFetcher();
    const cache = new ModelLineageCache(fetch);
    const first = cache.lookup(target('3'));
    const second = cache.lookup(target('3'));
    expect(calls).toHaveLength(1);
    expect(first()).toBeUndefined();
    calls[0]!.settle({ 'lineage.license': 'MIT' });
    await settled();
    expect(first()).toEqual({ 'lineage.license': 'MIT' });
    expect(second()).toEqual({ 'lineage.license': 'MIT' });
    expect(cache.lookup(target('3'))()).toEqual({ 'lineage.license': 'MIT' });
    expect(calls).toHaveLength(1);
  });

  it('refreshes after a while, retries a failed fetch later, and asks nothing for an unnamed version', async () => {
    let now = 1_000;
    const { calls, fetch } = manualFetcher();
    const errors: unknown[] = [];
    const cache = new ModelLineageCache(fetch, { now: () => now, onError: (_t, e) => errors.push(e) });
    expect(cache.lookup(target(''))()).toBeUndefined();
    expect(calls).toHaveLength(0);

    const read = cache.lookup(target('1'));
    calls[0]!.settle(new Error('UNAVAILABLE'));
    await settled();
    expect(read()).toBeUndefined();
    expect(errors).toHaveLength(1);
    now += LINEAGE_RETRY_MS - 1;
    cache.lookup(target('1'));
    expect(calls).toHaveLength(1);
    now += 1;
    cache.lookup(target('1'));
    expect(calls).toHaveLength(2);
    calls[1]!.settle({ source_uri: 's3://m/iris/1/' });
    await settled();
    now += LINEAGE_REFRESH_MS;
    const refreshed = cache.lookup(target('1'));
    expect(calls).toHaveLength(3);
    // Until the refresh answers, the previous lineage still serves.
    expect(refreshed()).toEqual({ source_uri: 's3://m/iris/1/' });
  });

  it('holds at most maxEntries versions, forgetting the oldest', () => {
    const { calls, fetch } = manualFetcher();
    const cache = new ModelLineageCache(fetch, { maxEntries: 2 });
    for (const version of ['1', '2', '3', '1']) cache.lookup(target(version));
    // Version 1 was forgotten when 3 came, so it is fetched again.
    expect(calls.map((c) => c.target.modelVersion)).toEqual(['1', '2', '3', '1']);
  });
});

describe('lineageOf', () => {
  it('keeps source_uri and the lineage.* parameters only', () => {
    expect(lineageOf({ source_uri: 's3://b/m/1/', 'lineage.license': 'MIT', other: 'x' })).toEqual({
      source_uri: 's3://b/m/1/',
      'lineage.license': 'MIT',
    });
    expect(lineageOf(undefined)).toEqual({});
  });
});
