/**
 * Group commit: concurrent write calls share transactions, and each caller still gets exactly
 * its own result, indices and pairs; an oversized call fails alone; a failed commit fails only
 * the calls that shared it. Against both backends.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackRecord, PredictionRecord } from '../../src/domain/records.js';
import { GroupCommitWriter } from '../../src/store/group-commit-writer.js';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { resolveStoreLimits } from '../../src/store/store-limits.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { feedback, label, prediction } from '../helpers/records.js';
import { BACKENDS, newStoreLocation, type StoreLocation } from '../helpers/store-backends.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

/** Counts the write transactions that reach the store and can fail the next one. */
function countingStore(store: MetricsStore) {
  const counter = { predictionCalls: 0, feedbackCalls: 0, failNext: false };
  const wrapped: MetricsStore = Object.create(store);
  wrapped.recordPredictions = (records: readonly PredictionRecord[], nowMs: number) => {
    counter.predictionCalls++;
    return store.recordPredictions(records, nowMs);
  };
  wrapped.recordFeedback = async (items: readonly FeedbackRecord[], nowMs: number) => {
    counter.feedbackCalls++;
    if (counter.failNext) {
      counter.failNext = false;
      throw new Error('the disk is full');
    }
    return store.recordFeedback(items, nowMs);
  };
  return { wrapped, counter };
}

describe.each(BACKENDS)('GroupCommitWriter on %s', (backend) => {
  let location: StoreLocation;
  let store: MetricsStore;
  afterEach(async () => {
    await store?.close();
    await location?.cleanup();
  });
  const open = async (maxItemsPerCall = 10_000) => {
    location = await newStoreLocation(backend, () => postgres);
    store = await location.open({ maxItemsPerCall });
    const { wrapped, counter } = countingStore(store);
    return { writer: new GroupCommitWriter(wrapped, resolveStoreLimits({ maxItemsPerCall })), counter };
  };

  it('commits concurrent calls together and gives each caller its own result', async () => {
    const { writer, counter } = await open();
    const predicted = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writer.recordPredictions([prediction(`e${i}`, `r${i}`)], 1_000 + i),
      ),
    );
    expect(counter.predictionCalls).toBeLessThan(40);
    expect(predicted.map((r) => r.recorded)).toEqual(new Array(40).fill(1));
    const joined = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writer.recordFeedback(
          [
            feedback(`r${i}`, label(`l${i}`)),
            ...(i % 5 === 0 ? [feedback(`r${i}`, label('x'), { row: 3 })] : []),
          ],
          2_000 + i,
        ),
      ),
    );
    expect(counter.feedbackCalls).toBeLessThan(40);
    for (const [i, result] of joined.entries()) {
      expect(result.outcomes[0]!.pairs.map((p) => [p.eventId, p.truth])).toEqual([[`e${i}`, label(`l${i}`)]]);
      if (i % 5 === 0) {
        expect(result.outcomes).toHaveLength(2);
        expect(result.rejected.map((r) => [r.index, r.field])).toEqual([[1, 'row']]);
      } else expect(result.rejected).toEqual([]);
    }
    // The same event in two calls of one group: the first records it (and gets its pairs).
    await writer.recordFeedback([feedback('rz', label('z'))], 3_000);
    const [first, second] = await Promise.all([
      writer.recordPredictions([prediction('ez', 'rz')], 3_000),
      writer.recordPredictions([prediction('ez', 'rz'), prediction('ey', 'ry')], 3_000),
    ]);
    expect(first).toMatchObject({ recorded: 1, duplicates: 0, statuses: ['recorded'] });
    expect(first!.pairs.map((p) => p.eventId)).toEqual(['ez']);
    expect(second).toMatchObject({
      recorded: 1,
      duplicates: 1,
      statuses: ['duplicate', 'recorded'],
      pairs: [],
    });
  });

  it('keeps a group within the item limit, and fails an oversized call alone', async () => {
    const { writer, counter } = await open(10);
    const calls = Array.from({ length: 8 }, (_, c) =>
      writer.recordPredictions(
        Array.from({ length: 4 }, (_, k) => prediction(`e${c}-${k}`, `r${c}-${k}`)),
        1_000,
      ),
    );
    const oversized = writer.recordPredictions(
      Array.from({ length: 11 }, (_, k) => prediction(`big${k}`, 'r')),
      1_000,
    );
    await expect(oversized).rejects.toThrow('predictions: at most 10 items per call, got 11.');
    expect((await Promise.all(calls)).map((r) => r.recorded)).toEqual(new Array(8).fill(4));
    // 32 items, at most 10 (two calls of 4) per transaction.
    expect(counter.predictionCalls).toBeGreaterThanOrEqual(4);
  });

  it('fails only the calls of a failed commit', async () => {
    const { writer, counter } = await open();
    counter.failNext = true;
    const failed = await Promise.allSettled([
      writer.recordFeedback([feedback('r1', label('a'))], 1),
      writer.recordFeedback([feedback('r2', label('a'))], 1),
    ]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const later = await writer.recordFeedback([feedback('r3', label('a'))], 1);
    expect(later.outcomes[0]!.status).toBe('pending');
    expect(await store.pendingCount()).toBe(1);
  });

  it("fails only the caller whose argument is bad, and commits the others' items", async () => {
    const { writer } = await open();
    const settled = await Promise.allSettled([
      writer.recordFeedback([feedback('r1', label('a'))], 1),
      writer.recordFeedback([feedback('r2', label('a'))], Number.NaN),
      writer.recordFeedback('not an array' as never, 1),
      writer.recordFeedback([feedback('r3', label('a'))], 1),
    ]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toContain('nowMs: must be an integer');
    expect(String((settled[2] as PromiseRejectedResult).reason)).toContain('feedback: must be an array');
    expect(await store.pendingCount()).toBe(2);
  });

  it('commits the other calls alone when the store refuses a shared group', async () => {
    const { writer } = await open();
    // A store that refuses any group holding the poisoned request id, as it would a bad argument.
    const refusing = Object.create(writer.store) as MetricsStore;
    refusing.recordFeedback = (items, nowMs) =>
      items.some((f) => f.requestId === 'poison')
        ? Promise.reject(new InvalidArgumentError('requestId: poisoned.'))
        : writer.store.recordFeedback(items, nowMs);
    const isolating = new GroupCommitWriter(refusing, resolveStoreLimits());
    const settled = await Promise.allSettled(
      ['r1', 'poison', 'r2'].map((id) => isolating.recordFeedback([feedback(id, label('a'))], 1)),
    );
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.pendingCount()).toBe(2);
  });

  it('settles every call made before closing', async () => {
    const { writer } = await open();
    const results: string[] = [];
    for (let i = 0; i < 20; i++)
      void writer
        .recordFeedback([feedback(`r${i}`, label('a'))], 1)
        .then((r) => results.push(r.outcomes[0]!.status));
    await writer.settled();
    expect(results).toEqual(new Array(20).fill('pending'));
    expect(await store.pendingCount()).toBe(20);
  });
});
