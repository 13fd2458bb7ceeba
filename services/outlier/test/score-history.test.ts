/**
 * ScoreHistory over stored events: verdicts in event order a page at a time, progress
 * (events read, scored, skipped by reason, outlier events), outliers_only, the selector
 * defaulting to the live one, and a deadline ending the stream with DEADLINE_EXCEEDED after
 * the pages sent.
 */
import { status } from '@grpc/grpc-js';
import { ArrayEventReader } from '@sightline/detect/testing';
import type { EventQuery, EventReader, InferenceEvent } from '@sightline/events';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent } from './helpers/iris-events.js';
import {
  irisTensor,
  startTestOutlier,
  type TestOutlier,
  tensorMessages,
} from './helpers/outlier-test-service.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');

/** 50 iris events a second apart; every 10th far off; one of another width; one of another model. */
function stored(): InferenceEvent[] {
  const events = Array.from({ length: 50 }, (_, i) =>
    irisEvent(i, { timeUnixMs: T0 + i * 1000, shift: i % 10 === 9 ? 20 : 0 }),
  );
  const odd = irisEvent(60, { timeUnixMs: T0 + 60_000 });
  events.push({ ...odd, inputs: [createTensor('input', 'FP32', [1, 3], new Float32Array(3))] });
  events.push(irisEvent(61, { timeUnixMs: T0 + 61_000, modelName: 'other' }));
  return events;
}

/** A reader that answers each query after `delayMs`, so a short deadline passes mid-scan. */
class SlowReader implements EventReader {
  readonly description = 'slow events';
  constructor(
    private readonly inner: EventReader,
    private readonly delayMs: number,
  ) {}
  async query(query: EventQuery, cancellation?: Parameters<EventReader['query']>[1]) {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return this.inner.query(query, cancellation);
  }
}

/** `count` iris events 10 ms apart. */
function many(count: number): InferenceEvent[] {
  return Array.from({ length: count }, (_, i) => irisEvent(i, { timeUnixMs: T0 + i * 10 }));
}

describe('ScoreHistory', () => {
  let t: TestOutlier;
  beforeAll(async () => {
    t = await startTestOutlier({ eventReader: new ArrayEventReader(stored()) });
    await t.client.createDetector({
      name: 'history',
      config: { iforest: { seed: 4n }, thresholdPercentile: 99 },
      live: { modelName: 'iris' },
    });
    await t.client.fit({ name: 'history', data: tensorMessages(irisTensor(300, 1)) });
  });
  afterAll(async () => {
    await t.stop();
  });

  const range = { startTime: new Date(T0), endTime: new Date(T0 + 120_000) };

  it('streams verdicts in pages with progress, using the live selector', async () => {
    const messages = await t.client.scoreHistory({ name: 'history', range, pageSize: 20 });
    const verdicts = messages.flatMap((m) => m.verdicts);
    expect(verdicts).toHaveLength(50);
    expect(messages.filter((m) => m.verdicts.length > 0).map((m) => m.verdicts.length)).toEqual([20, 20, 10]);
    expect(verdicts.map((v) => v.eventTime!.getTime())).toEqual(
      [...verdicts].map((v) => v.eventTime!.getTime()).sort((a, b) => a - b),
    );
    // The planted events are flagged (a percentile-99 threshold may flag the odd inlier too).
    const flagged = verdicts.filter((v) => v.isOutlier[0]).map((v) => v.requestId);
    expect(flagged).toEqual(expect.arrayContaining([9, 19, 29, 39, 49].map((i) => irisEvent(i).requestId)));
    expect(flagged.length).toBeLessThanOrEqual(8);
    const last = messages.at(-1)!;
    expect(last.progress).toMatchObject({
      eventsScored: 50n,
      outlierEvents: BigInt(flagged.length),
      eventsSkipped: { width: 1n },
    });
    expect(last.progress!.eventsRead).toBeGreaterThanOrEqual(51n);
    expect(last.skippedEvents).toBe(1n);
    expect(verdicts[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('sends only the outlier events when asked, still counting all', async () => {
    const messages = await t.client.scoreHistory({
      name: 'history',
      range,
      outliersOnly: true,
      selector: { modelName: 'iris' },
    });
    const all = (await t.client.scoreHistory({ name: 'history', range })).at(-1)!.progress!.outlierEvents;
    expect(messages.flatMap((m) => m.verdicts)).toHaveLength(Number(all));
    expect(messages.flatMap((m) => m.verdicts).every((v) => v.isOutlier.includes(true))).toBe(true);
    expect(messages.at(-1)!.progress?.eventsScored).toBe(50n);
  });

  it('refuses a page over 10000 and a range over the limit', async () => {
    await expect(t.client.scoreHistory({ name: 'history', range, pageSize: 10_001 })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await expect(
      t.client.scoreHistory({
        name: 'history',
        range: { startTime: new Date(T0), endTime: new Date(T0 + 32 * 86_400_000) },
      }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('--max-history-range-ms'),
    });
  });

  it('ends with DEADLINE_EXCEEDED after the pages sent when the deadline passes', async () => {
    const slow = await startTestOutlier({
      eventReader: new SlowReader(new ArrayEventReader(many(5000)), 600),
    });
    try {
      await slow.client.createDetector({ name: 'slow', config: { iforest: { seed: 4n }, threshold: 0.6 } });
      await slow.client.fit({ name: 'slow', data: tensorMessages(irisTensor(100, 1)) });
      const error = (await slow.client
        .scoreHistory({ name: 'slow', range, selector: { modelName: 'iris' }, pageSize: 500 }, 1500)
        .catch((e) => e)) as { code: number; received: unknown[] };
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
      expect(error.received.length).toBeGreaterThan(0);
    } finally {
      await slow.stop();
    }
  });

  it('fits from a stored range of events, recording it in the lineage', async () => {
    await t.client.createDetector({ name: 'from-events', config: { mahalanobis: {} } });
    const fitted = await t.client.fit({
      name: 'from-events',
      referenceEvents: { range, selector: { modelName: 'iris' } },
    });
    expect(fitted.detector).toMatchObject({ referenceRows: 50n, featureCount: 4 });
    expect(fitted.detector?.lineage?.referenceSource).toContain('events of model iris');
    expect(fitted.detector?.lineage?.referenceSkippedEvents).toEqual({ 'width 3': 1n });
  });
});
