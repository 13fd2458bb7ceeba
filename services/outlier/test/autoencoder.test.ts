/**
 * The real autoencoder kind through the service: FitWithProgress streams each epoch then the
 * detector, the lineage records the training, Score returns per-feature scores, and a
 * training past its budget ends DEADLINE_EXCEEDED with nothing saved. The service is
 * started with --device cpu, so the test is the same with or without a GPU.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisTensor,
  startTestOutlier,
  type TestOutlier,
  tensorMessages,
} from './helpers/outlier-test-service.js';

describe('autoencoder', () => {
  let t: TestOutlier;
  beforeAll(async () => {
    t = await startTestOutlier({ flags: { device: 'cpu' } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('streams the training, then scores per feature', async () => {
    await t.client.createDetector({
      name: 'ae',
      config: { autoencoder: { epochs: 4, batchSize: 32, seed: 3n }, thresholdPercentile: 95 },
    });
    const messages = await t.client.fitWithProgress({
      fit: { name: 'ae', data: tensorMessages(irisTensor(200, 1)) },
    });
    // Every epoch's end, in order; a slow machine adds messages within an epoch (same epoch).
    const epochs = messages.slice(0, -1).map((m) => m.progress?.epoch ?? -1);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect([...new Set(epochs)].filter((e) => e > 0)).toEqual([1, 2, 3, 4]);
    const detector = messages.at(-1)!.detector!;
    expect(detector).toMatchObject({ version: 1, thresholdSource: 'fit_percentile' });
    expect(detector.lineage?.kind).toBe('OutlierAE');
    expect(detector.lineage?.training).toMatchObject({ epoch: 4, epochs: 4 });
    const scores = await t.client.score({ name: 'ae', data: tensorMessages(irisTensor(3, 2)) });
    expect(scores.featureScore.map((row) => row.score.length)).toEqual([4, 4, 4]);
    const predicted = await t.client.predict({ name: 'ae', data: tensorMessages(irisTensor(3, 2, 30)) });
    expect(predicted.meta?.kind).toBe('OutlierAE');
    expect(predicted.data?.isOutlier).toEqual([true, true, true]);
  });

  it('stops a training past its budget with the reason, saving nothing', async () => {
    await t.client.createDetector({
      name: 'ae-slow',
      config: { autoencoder: { epochs: 10_000, batchSize: 1, maxTrainingSeconds: 0.5 } },
    });
    const error = (await t.client
      .fit({ name: 'ae-slow', data: tensorMessages(irisTensor(500, 1)) })
      .catch((e) => e)) as {
      code: number;
      details: string;
    };
    expect({ code: error.code, details: error.details }).toMatchObject({
      code: status.DEADLINE_EXCEEDED,
      details: expect.stringMatching(/0\.5/),
    });
    expect((await t.client.getDetector({ name: 'ae-slow' })).versions).toEqual([]);
  });
});
