/**
 * The detector life cycle over real gRPC: create, fit, score, the threshold's three sources
 * (InferThreshold, config percentile or contamination at Fit, a fixed config threshold),
 * predict with Alibi's meta and data, Mahalanobis updates from Predict (inliers only),
 * FitWithProgress, lineage, list pages and delete.
 */
import { outlierV1 } from '@sightline/contracts';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisTensor,
  startTestOutlier,
  type TestOutlier,
  tensorMessages,
} from './helpers/outlier-test-service.js';

const { DetectorState } = outlierV1;

/** Four rows: two near the reference, two far from it. */
function probe() {
  return createTensor(
    'input',
    'FP32',
    [4, 4],
    new Float32Array([5.8, 3, 3.8, 1.2, 5.9, 3.1, 3.7, 1.3, 12, -4, 20, 9, 30, 30, 30, 30]),
  );
}

describe('detector life cycle', () => {
  let t: TestOutlier;
  beforeAll(async () => {
    t = await startTestOutlier();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('fits an isolation forest, scores without a threshold, predicts after InferThreshold', async () => {
    const created = await t.client.createDetector({
      name: 'forest',
      config: { iforest: { nEstimators: 50, seed: 7n } },
      labels: { team: 'fraud' },
    });
    expect(created.detector).toMatchObject({ state: DetectorState.DETECTOR_STATE_CREATED, version: 0 });
    const fitted = await t.client.fit({
      name: 'forest',
      data: tensorMessages(irisTensor(300, 1)),
      creator: 'tester',
      referenceSource: 'iris.csv',
    });
    expect(fitted.detector).toMatchObject({
      state: DetectorState.DETECTOR_STATE_FITTED,
      version: 1,
      referenceRows: 300n,
      featureCount: 4,
      featureNames: ['input[0]', 'input[1]', 'input[2]', 'input[3]'],
      thresholdSource: '',
    });
    expect(fitted.detector?.config?.iforest).toMatchObject({ nEstimators: 50, seed: 7n, maxSamples: 256 });
    expect(fitted.detector?.lineage).toMatchObject({
      kind: 'IForest',
      creator: 'tester',
      referenceSource: 'iris.csv',
      seed: 7n,
    });

    const scores = await t.client.score({ name: 'forest', data: tensorMessages(probe()) });
    expect(scores.instanceScore).toHaveLength(4);
    expect(scores.threshold).toBeUndefined();
    expect(scores.instanceScore[3]!).toBeGreaterThan(scores.instanceScore[0]!);
    await expect(t.client.predict({ name: 'forest', data: tensorMessages(probe()) })).rejects.toMatchObject({
      code: 9,
      details: expect.stringContaining('call InferThreshold'),
    });

    const inferred = await t.client.inferThreshold({
      name: 'forest',
      data: tensorMessages(irisTensor(300, 1)),
      expectedFalsePositiveRate: 0.05,
    });
    expect(inferred.detector).toMatchObject({
      state: DetectorState.DETECTOR_STATE_THRESHOLD_SET,
      thresholdSource: 'infer_threshold',
      thresholdPercentile: 95,
      threshold: inferred.threshold,
    });
    const predicted = await t.client.predict({
      name: 'forest',
      data: tensorMessages(probe()),
      returnInstanceScore: false,
    });
    expect(predicted.meta).toMatchObject({
      name: 'forest',
      kind: 'IForest',
      detectorType: 'outlier',
      online: false,
      version: 1,
    });
    expect(predicted.data?.isOutlier).toEqual([false, false, true, true]);
    expect(predicted.data?.instanceScore).toEqual([]);
    expect(predicted.data?.threshold).toBe(inferred.threshold);
  });

  it('sets the threshold at Fit from contamination, and keeps every version in the lineage', async () => {
    await t.client.createDetector({
      name: 'contaminated',
      config: { iforest: { seed: 3n, contamination: 0.1 } },
    });
    const first = await t.client.fit({ name: 'contaminated', data: tensorMessages(irisTensor(200, 2)) });
    expect(first.detector).toMatchObject({
      state: DetectorState.DETECTOR_STATE_THRESHOLD_SET,
      thresholdSource: 'fit_percentile',
      thresholdPercentile: 90,
    });
    const scores = await t.client.score({ name: 'contaminated', data: tensorMessages(irisTensor(200, 2)) });
    const above = scores.instanceScore.filter((s) => s > first.detector!.threshold!).length;
    expect(above).toBeGreaterThanOrEqual(15);
    expect(above).toBeLessThanOrEqual(21);
    await t.client.fit({ name: 'contaminated', data: tensorMessages(irisTensor(150, 3)) });
    const got = await t.client.getDetector({ name: 'contaminated' });
    expect(got.detector?.version).toBe(2);
    expect(got.versions.map((v) => [v.version, v.referenceRows])).toEqual([
      [2, 150n],
      [1, 200n],
    ]);
    expect(got.versions[0]!.referenceSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fixes a config threshold at creation, and Mahalanobis learns from inlier predictions only', async () => {
    const created = await t.client.createDetector({
      name: 'distance',
      config: { mahalanobis: { updateOnPredict: true }, threshold: 15 },
    });
    expect(created.detector).toMatchObject({ threshold: 15, thresholdSource: 'config' });
    const fitted = await t.client.fit({ name: 'distance', data: tensorMessages(irisTensor(100, 4)) });
    expect(fitted.detector).toMatchObject({
      state: DetectorState.DETECTOR_STATE_THRESHOLD_SET,
      runningRows: 100n,
    });
    const predicted = await t.client.predict({ name: 'distance', data: tensorMessages(probe()) });
    expect(predicted.meta).toMatchObject({ kind: 'Mahalanobis', online: true });
    expect(predicted.data?.isOutlier).toEqual([false, false, true, true]);
    const after = await t.client.getDetector({ name: 'distance' });
    // The two inliers joined the running statistics; the outliers did not.
    expect(after.detector?.runningRows).toBe(102n);
  });

  it('streams FitWithProgress: one progress message for a one-step kind, then the detector', async () => {
    await t.client.createDetector({ name: 'streamed', config: { iforest: { seed: 1n } } });
    const messages = await t.client.fitWithProgress({
      fit: { name: 'streamed', data: tensorMessages(irisTensor(50, 5)) },
    });
    expect(messages).toHaveLength(2);
    expect(messages[0]!.progress).toMatchObject({ epoch: 1, epochs: 1 });
    expect(messages[1]!.detector).toMatchObject({ name: 'streamed', version: 1 });
  });

  it('lists in name order a page at a time, and deletes', async () => {
    const first = await t.client.listDetectors({ pageSize: 2 });
    expect(first.detectors.map((d) => d.name)).toEqual(['contaminated', 'distance']);
    const second = await t.client.listDetectors({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.detectors.map((d) => d.name)).toEqual(['forest', 'streamed']);
    expect(second.nextPageToken).toBe('');
    await t.client.deleteDetector({ name: 'streamed' });
    await expect(t.client.getDetector({ name: 'streamed' })).rejects.toMatchObject({ code: 5 });
    await expect(t.client.createDetector({ name: 'forest', config: { iforest: {} } })).rejects.toMatchObject({
      code: 6,
    });
  });
});
